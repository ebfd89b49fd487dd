import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DenoiserMemory, DenoiserMemoryOptions, SpatialShape } from '@yonos/core';
import { YonosPipeline } from '../src/index.js';
import { makeCodec, makeDenoiser, testImage } from './pipeline-standins.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A pipeline whose denoiser counts the memory estimates asked of it (each tiling plan asks). */
function countingPipeline(): { pipe: YonosPipeline; estimates: () => number } {
  const unet = makeDenoiser();
  let count = 0;
  const own = unet.estimateMemory.bind(unet);
  Object.defineProperty(unet, 'estimateMemory', {
    value: (sample: SpatialShape, options?: DenoiserMemoryOptions): DenoiserMemory => {
      count += 1;
      return own(sample, options);
    },
  });
  return { pipe: new YonosPipeline({ vae: makeCodec(), unet }), estimates: () => count };
}

describe('YonosPipeline plans a run once', () => {
  it('a run right after tiling() with the same arguments (a progress bar counting tiles) reuses its plan', async () => {
    const { pipe, estimates } = countingPipeline();
    const lr = testImage(1, 64, 64);
    // The largest budget that tiles the U-Net and that the plan meets.
    const probe = countingPipeline().pipe;
    const budget = [512, 256, 128, 64].find((mb) => {
      const t = probe.tiling(64, 64, { tile: { memoryBudgetMB: mb } });
      return t.latentTiles > 1 && t.estimatedPeakBytes <= t.memoryBudgetBytes;
    });
    probe.dispose();
    expect(budget).toBeDefined();
    const tile = { memoryBudgetMB: budget! };
    const planned = pipe.tiling(64, 64, { tile });
    const afterPlan = estimates();
    expect(afterPlan).toBeGreaterThan(0);
    expect(planned.latentTiles).toBeGreaterThan(1); // a budget-chosen, tiled plan
    const out = await pipe.run(lr, { tile });
    expect(estimates()).toBe(afterPlan);
    // The control: another budget plans again, and gives the same tiling as a fresh pipeline.
    tf.dispose(await pipe.run(lr, { tile: { memoryBudgetMB: 2 * budget! } }));
    expect(estimates()).toBeGreaterThan(afterPlan);
    const fresh = countingPipeline();
    expect(fresh.pipe.tiling(64, 64, { tile })).toEqual(planned);
    tf.dispose([lr, out]);
    pipe.dispose();
    fresh.pipe.dispose();
  });
});
