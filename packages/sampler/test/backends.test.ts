import * as tf from '@tensorflow/tfjs-core';
// useBackend registers gradients; under vitest (a bundler) that is this import.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, createRng, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { DDIMScheduler, DDPMScheduler } from '../src/index.js';
import { dynamicThreshold } from '../src/schedulers/index.js';
import { caseConfig, leakedBy, loadDdimFixture, loadUpscalerIo, maxAbsDiff, readUpscalerJson, toNhwc } from './helpers.js';

const fixture = loadDdimFixture();
const TOL = 1e-5;

afterAll(async () => {
  await useBackend('cpu');
});

// The scheduler only issues elementwise float32 ops, so every backend must reproduce diffusers.
for (const backend of ['wasm', 'webgpu'] as BackendName[]) {
  describe(`DDIMScheduler on ${backend}`, () => {
    it('matches every ddim.json step case, add_noise and get_velocity, without leaks', async (ctx) => {
      try {
        await useBackend(backend);
      } catch (err) {
        if (err instanceof BackendUnavailableError) ctx.skip(`${backend} cannot be initialized here: ${err.message}`);
        throw err;
      }
      expect(tf.getBackend()).toBe(backend);
      let worst = 0;
      for (const c of fixture.step_cases) {
        const s = DDIMScheduler.fromConfig(caseConfig(c));
        s.setTimesteps(c.num_inference_steps);
        const sample = tf.tensor(c.sample, [1, 2, 2, 2]);
        const modelOutput = tf.tensor(c.model_output, [1, 2, 2, 2]);
        const out = s.step(modelOutput, c.step_t, sample);
        worst = Math.max(
          worst,
          maxAbsDiff(await out.prevSample.data(), c.prev_sample),
          maxAbsDiff(await out.predOriginalSample.data(), c.pred_original_sample),
        );
        tf.dispose([sample, modelOutput, out.prevSample, out.predOriginalSample]);
      }
      console.info(`${backend}: worst ddim.json step error ${worst}`);
      expect(worst).toBeLessThan(TOL);

      const n = fixture.noise;
      const s = new DDIMScheduler({ beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' });
      const [x0, noise] = [tf.tensor2d(n.x0), tf.tensor2d(n.noise)];
      const ts = tf.tensor1d(n.timesteps, 'int32');
      const noisy = s.addNoise(x0, noise, ts);
      const v = s.getVelocity(x0, noise, n.timesteps);
      expect(maxAbsDiff(await noisy.data(), n.add_noise.flat())).toBeLessThan(TOL);
      expect(maxAbsDiff(await v.data(), n.get_velocity.flat())).toBeLessThan(TOL);

      s.setTimesteps(4);
      expect(leakedBy(() => s.step(x0, 751, noise, { eta: 0.5, rng: createRng(3) }))).toBe(0);
      expect(leakedBy(() => s.addNoise(x0, noise, ts))).toBe(0);
      tf.dispose([x0, noise, ts, noisy, v]);
    });
  });
}

// DDPM: the x4 upscaler's low-res noising must reproduce diffusers on every backend, and the
// dynamic threshold's top-k quantile must agree with the cpu's.
for (const backend of ['wasm', 'webgpu'] as BackendName[]) {
  describe(`DDPMScheduler on ${backend}`, () => {
    it('reproduces image_noised, thresholds as on cpu and steps with seeded noise, without leaks', async (ctx) => {
      await useBackend('cpu');
      const x0 = tf.mul(createRng(5).normal([2, 4, 4, 3]), 2.5);
      const cpuThreshold = dynamicThreshold(x0, 0.9, 2);
      const expectedThreshold = cpuThreshold.dataSync().slice();
      const x0Values = x0.dataSync().slice();
      tf.dispose([x0, cpuThreshold]);
      try {
        await useBackend(backend);
      } catch (err) {
        if (err instanceof BackendUnavailableError) ctx.skip(`${backend} cannot be initialized here: ${err.message}`);
        throw err;
      }
      const io = loadUpscalerIo();
      const s = DDPMScheduler.fromConfig(readUpscalerJson('low_res_scheduler/scheduler_config.json'));
      const [image, noise, expected] = ['low_res_image', 'low_res_noise', 'image_noised'].map((k) => toNhwc(io.get(k)!));
      const noised = s.addNoise(image!, noise!, [20]);
      const err = maxAbsDiff(await noised.data(), await expected!.data());
      console.info(`${backend}: DDPM addNoise vs diffusers image_noised, max |diff| ${err}`);
      expect(err).toBeLessThanOrEqual(1e-6);
      const x = tf.tensor(x0Values, [2, 4, 4, 3]);
      const thresholded = dynamicThreshold(x, 0.9, 2);
      expect(maxAbsDiff(await thresholded.data(), expectedThreshold)).toBeLessThan(1e-6);
      expect(leakedBy(() => s.step(x, 500, x, { rng: createRng(3) }))).toBe(0);
      expect(leakedBy(() => s.addNoise(image!, noise!, [20]))).toBe(0);
      tf.dispose([...io.values(), image!, noise!, expected!, noised, x, thresholded]);
    });
  });
}
