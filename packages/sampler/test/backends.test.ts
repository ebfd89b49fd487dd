import * as tf from '@tensorflow/tfjs-core';
// useBackend registers gradients; under vitest (a bundler) that is this import.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, createRng, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { DDIMScheduler } from '../src/index.js';
import { caseConfig, leakedBy, loadDdimFixture, maxAbsDiff } from './helpers.js';

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
