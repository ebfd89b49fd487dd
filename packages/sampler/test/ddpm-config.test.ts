import { describe, expect, it } from 'vitest';
import { YonosError, DIFFUSERS_VERSION } from '@yonos/core';
import { DDPM_DEFAULT_CONFIG, DDPMScheduler, SchedulerConfigError, parseDDPMSchedulerConfig } from '../src/index.js';
import { sigmoidBetas } from '../src/schedulers/index.js';
import { readUpscalerJson } from './helpers.js';

describe('DDPMScheduler config', () => {
  it("fills diffusers 0.25's DDPMScheduler defaults", () => {
    const s = new DDPMScheduler();
    expect(s.config).toEqual(DDPM_DEFAULT_CONFIG);
    expect(s.config).toMatchObject({ beta_schedule: 'linear', variance_type: 'fixed_small', clip_sample: true, prediction_type: 'epsilon' });
    expect(s.timesteps.length).toBe(1000);
    expect(s.timesteps[0]).toBe(999);
    expect(s.numInferenceSteps).toBeUndefined();
  });

  it("reads the x4 upscaler's low_res_scheduler config strictly and writes it back as diffusers wrote it", () => {
    const json = readUpscalerJson('low_res_scheduler/scheduler_config.json');
    const s = DDPMScheduler.fromConfig(json, { strict: true });
    expect(s.config).toMatchObject({ beta_schedule: 'scaled_linear', beta_start: 0.0001, beta_end: 0.02, variance_type: 'fixed_small', clip_sample: true });
    // Every key, value and (sorted) key order of the file diffusers 0.25 saved.
    expect(s.toConfig()).toEqual(json);
    expect(Object.keys(s.toConfig())).toEqual(Object.keys(json));
    expect(s.toConfig()._diffusers_version).toBe(DIFFUSERS_VERSION);
  });

  it('accepts a DDIM config (other keys ignored), as from_config does, and rejects its extra keys when strict', () => {
    const ddim = readUpscalerJson('scheduler/scheduler_config.json');
    const s = DDPMScheduler.fromConfig(ddim);
    expect(s.predictionType).toBe('v_prediction');
    expect(s.config.steps_offset).toBe(1);
    expect(() => DDPMScheduler.fromConfig(ddim, { strict: true })).toThrow(/unknown DDPMScheduler config keys: set_alpha_to_one, skip_prk_steps/);
  });

  it('round-trips trained_betas and the sigmoid schedule', () => {
    const betas = Array.from({ length: 10 }, (_, i) => 0.01 * (i + 1));
    const s = new DDPMScheduler({ num_train_timesteps: 10, trained_betas: betas });
    expect(Array.from(s.betas)).toEqual(betas.map(Math.fround));
    expect(DDPMScheduler.fromConfig(JSON.parse(JSON.stringify(s.toConfig())), { strict: true }).config).toEqual(s.config);

    const sig = new DDPMScheduler({ beta_schedule: 'sigmoid', beta_start: 0.001, beta_end: 0.03, num_train_timesteps: 50 });
    expect(Array.from(sig.betas)).toEqual(Array.from(sigmoidBetas(0.001, 0.03, 50)));
  });
});

describe('sigmoidBetas vs its float64 formula', () => {
  it('is sigmoid(linspace(-6, 6, T)) * (end - start) + start to float32 rounding', () => {
    const T = 1000;
    const got = sigmoidBetas(0.0001, 0.02, T);
    let worst = 0;
    for (let i = 0; i < T; i++) {
      const x = -6 + (12 * i) / (T - 1);
      const expected = (1 / (1 + Math.exp(-x))) * (0.02 - 0.0001) + 0.0001;
      worst = Math.max(worst, Math.abs(got[i]! - expected) / expected);
    }
    console.info(`sigmoid betas: max relative error vs float64 ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
    expect(got[0]!).toBeGreaterThan(0.0001);
    expect(got[T - 1]!).toBeLessThan(0.02);
  });
});

describe('invalid DDPM configs', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['unknown variance_type', { variance_type: 'small' }, /variance_type.*"fixed_small", "fixed_small_log", "fixed_large"/],
    ['unknown beta_schedule', { beta_schedule: 'cosine' }, /beta_schedule.*"sigmoid"/],
    ['zero num_train_timesteps', { num_train_timesteps: 0 }, /num_train_timesteps/],
    ['non-boolean thresholding', { thresholding: 'yes' }, /thresholding/],
    ['ratio above 1', { dynamic_thresholding_ratio: 1.5 }, /dynamic_thresholding_ratio/],
    ['zero sample_max_value', { sample_max_value: 0 }, /sample_max_value/],
    ['trained_betas of wrong length', { trained_betas: [0.1, 0.2] }, /trained_betas.*num_train_timesteps/],
    ['non-integer steps_offset', { steps_offset: 0.5 }, /steps_offset/],
  ];
  for (const [name, cfg, message] of bad) {
    it(`rejects ${name}`, () => {
      let caught: unknown;
      try {
        DDPMScheduler.fromConfig(cfg);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SchedulerConfigError);
      expect(caught).toBeInstanceOf(YonosError);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('rejects non-objects', () => {
    for (const v of [null, 3, 'x', [1]]) {
      expect(() => DDPMScheduler.fromConfig(v)).toThrow(SchedulerConfigError);
      expect(() => parseDDPMSchedulerConfig(v)).toThrow(SchedulerConfigError);
    }
  });
});
