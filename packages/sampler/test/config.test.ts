import { describe, expect, it } from 'vitest';
import { YonosError, DIFFUSERS_VERSION } from '@yonos/core';
import { DDIM_DEFAULT_CONFIG, DDIMScheduler, parseDDIMSchedulerConfig, SchedulerConfigError } from '../src/index.js';

/** Stable Diffusion 2.1's scheduler/scheduler_config.json (a PNDM config, as published). */
const SD21_SCHEDULER_CONFIG = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.8.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  prediction_type: 'v_prediction',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};

describe('DDIMScheduler config', () => {
  it('fills diffusers defaults', () => {
    const s = new DDIMScheduler();
    expect(s.config).toEqual(DDIM_DEFAULT_CONFIG);
    expect(s.numTrainTimesteps).toBe(1000);
    expect(s.predictionType).toBe('epsilon');
    expect(s.timesteps.length).toBe(1000);
    expect(s.timesteps[0]).toBe(999);
  });

  it('loads Stable Diffusion 2.1 config (another class, extra keys) like diffusers from_config', () => {
    const s = DDIMScheduler.fromConfig(SD21_SCHEDULER_CONFIG);
    expect(s.predictionType).toBe('v_prediction');
    expect(s.config.beta_schedule).toBe('scaled_linear');
    expect(s.config.steps_offset).toBe(1);
    expect(s.config.timestep_spacing).toBe('leading');
    expect(s.finalAlphaCumprod).toBe(s.alphasCumprod[0]);
    expect(() => DDIMScheduler.fromConfig(SD21_SCHEDULER_CONFIG, { strict: true })).toThrow(/skip_prk_steps/);
  });

  it('round-trips through toConfig and JSON', () => {
    const input = {
      ...SD21_SCHEDULER_CONFIG,
      skip_prk_steps: undefined,
      timestep_spacing: 'trailing',
      rescale_betas_zero_snr: true,
      clip_sample_range: 2.5,
    };
    const s = DDIMScheduler.fromConfig(input);
    const json = s.toConfig();
    expect(json._class_name).toBe('DDIMScheduler');
    expect(json._diffusers_version).toBe(DIFFUSERS_VERSION);
    // Key order as diffusers writes it: bookkeeping first, then sorted.
    const keys = Object.keys(json);
    expect(keys.slice(0, 2)).toEqual(['_class_name', '_diffusers_version']);
    expect(keys.slice(2)).toEqual([...keys.slice(2)].sort());
    expect(keys.length).toBe(2 + Object.keys(DDIM_DEFAULT_CONFIG).length);

    const again = DDIMScheduler.fromConfig(JSON.parse(JSON.stringify(json)), { strict: true });
    expect(again.config).toEqual(s.config);
    expect(again.toConfig()).toEqual(json);
    expect(Array.from(again.alphasCumprod)).toEqual(Array.from(s.alphasCumprod));
  });

  it('round-trips trained_betas and uses them', () => {
    const betas = Array.from({ length: 10 }, (_, i) => 0.01 * (i + 1));
    const s = new DDIMScheduler({ num_train_timesteps: 10, trained_betas: betas });
    expect(Array.from(s.betas)).toEqual(betas.map(Math.fround));
    const json = s.toConfig();
    expect(json.trained_betas).toEqual(betas);
    expect(DDIMScheduler.fromConfig(JSON.parse(JSON.stringify(json))).config).toEqual(s.config);
  });

  it('toConfig returns a fresh object that does not alias the scheduler', () => {
    const s = new DDIMScheduler({ num_train_timesteps: 3, trained_betas: [0.1, 0.2, 0.3] });
    const json = s.toConfig() as unknown as { trained_betas: number[] };
    json.trained_betas[0] = 0.9;
    expect(s.config.trained_betas?.[0]).toBe(0.1);
  });
});

describe('invalid configs', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['non-integer num_train_timesteps', { num_train_timesteps: 10.5 }, /num_train_timesteps/],
    ['zero num_train_timesteps', { num_train_timesteps: 0 }, /num_train_timesteps/],
    ['string beta_start', { beta_start: '0.001' }, /beta_start/],
    ['negative beta_end', { beta_end: -1 }, /beta_end/],
    ['unknown beta_schedule', { beta_schedule: 'sigmoid' }, /beta_schedule.*"linear", "scaled_linear", "squaredcos_cap_v2"/],
    ['unknown prediction_type', { prediction_type: 'v' }, /prediction_type/],
    ['unknown timestep_spacing', { timestep_spacing: 'karras' }, /timestep_spacing/],
    ['non-boolean clip_sample', { clip_sample: 1 }, /clip_sample/],
    ['null set_alpha_to_one', { set_alpha_to_one: null }, /set_alpha_to_one/],
    ['negative steps_offset', { steps_offset: -1 }, /steps_offset/],
    ['zero clip_sample_range', { clip_sample_range: 0 }, /clip_sample_range/],
    ['trained_betas of wrong length', { trained_betas: [0.1, 0.2] }, /trained_betas.*num_train_timesteps/],
    ['trained_betas out of range', { num_train_timesteps: 2, trained_betas: [0.1, 2] }, /element 1/],
    ['non-string _class_name', { _class_name: 3 }, /_class_name/],
    ['thresholding', { thresholding: true }, /not supported.*set it to false/],
  ];
  for (const [name, cfg, message] of bad) {
    it(`rejects ${name}`, () => {
      let caught: unknown;
      try {
        DDIMScheduler.fromConfig(cfg);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SchedulerConfigError);
      expect(caught).toBeInstanceOf(YonosError);
      expect((caught as Error).name).toBe('SchedulerConfigError');
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('rejects non-objects', () => {
    for (const v of [null, 3, 'x', [1]]) {
      expect(() => DDIMScheduler.fromConfig(v)).toThrow(SchedulerConfigError);
      expect(() => parseDDIMSchedulerConfig(v)).toThrow(SchedulerConfigError);
    }
  });
});
