import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { AutoencoderKL } from '@yonos/vae';
import { UNet2DConditionModel } from '@yonos/unet';
import { YonosPipeline } from '../src/index.js';
import { DIFFUSERS_FIXTURES } from './helpers.js';
import { testImage } from './pipeline-standins.js';

// Each model evaluation agrees with diffusers to ~1e-4 relative on every backend (only the
// order of summation differs), and outputs are in [-1, 1].
const TOL = 1e-4;
const STEPS = [1, 4] as const;

/** Outputs per step count on one backend, read back to the host; the reason when webgpu is unavailable. */
async function runOn(backend: BackendName): Promise<{ outputs: Map<number, Float32Array>; leaked: number } | string> {
  try {
    await useBackend(backend);
  } catch (err) {
    if (backend === 'webgpu' && err instanceof BackendUnavailableError) return err.message;
    throw err;
  }
  const vae = await AutoencoderKL.fromPretrained(join(DIFFUSERS_FIXTURES, 'vae-tiny'));
  const unet = await UNet2DConditionModel.fromPretrained(join(DIFFUSERS_FIXTURES, 'unet-sd2-tiny'));
  const pipe = new YonosPipeline({ vae, unet });
  const lr = testImage(1, 8, 8);
  const outputs = new Map<number, Float32Array>();
  const before = tf.memory().numTensors;
  for (const steps of STEPS) {
    // Seeded noise is generated on the host, so every backend starts from the same z_T.
    const out = await pipe.run(lr, { steps, seed: 42 });
    expect(out.shape).toEqual([1, 32, 32, 3]);
    outputs.set(steps, (await out.data()) as Float32Array);
    out.dispose();
  }
  const leaked = tf.memory().numTensors - before;
  lr.dispose();
  pipe.dispose();
  return { outputs, leaked };
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

afterAll(async () => {
  await useBackend('cpu');
});

describe('YonosPipeline on cpu, wasm and webgpu (tiny fixture models)', () => {
  let cpu: Map<number, Float32Array> | undefined;

  it('runs 1 and 4 steps on cpu, finite and in [-1, 1], without leaks', async () => {
    const result = await runOn('cpu');
    if (typeof result === 'string') throw new Error(result);
    expect(result.leaked).toBe(0);
    for (const steps of STEPS) {
      const values = result.outputs.get(steps)!;
      expect(values.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
    }
    expect(maxAbs(result.outputs.get(1)!, result.outputs.get(4)!)).toBeGreaterThan(1e-3); // steps matter
    cpu = result.outputs;
  });

  for (const backend of ['wasm', 'webgpu'] as BackendName[]) {
    it(`runs 1 and 4 steps on ${backend} and matches cpu`, async (ctx) => {
      if (cpu === undefined) ctx.skip('the cpu run failed');
      const result = await runOn(backend);
      if (typeof result === 'string') ctx.skip(`webgpu adapter cannot be created here: ${result}`);
      const { outputs, leaked } = result as Exclude<typeof result, string>;
      expect(tf.getBackend()).toBe(backend);
      expect(leaked).toBe(0);
      for (const steps of STEPS) {
        const err = maxAbs(outputs.get(steps)!, cpu!.get(steps)!);
        console.info(`${backend}: ${steps} step(s), max |diff| vs cpu ${err}`);
        expect(err).toBeLessThan(TOL);
      }
    });
  }
});
