import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, createRng, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addGaussianNoise,
  addPoissonNoise,
  bivariateGaussian,
  diffJpeg,
  filter2D,
  imresize,
  RealESRGANDegradation,
  stackKernels,
  usmSharp,
} from '../src/index.js';
import { fixture, fixtureImage, maxAbsDiff } from './helpers/fixtures.js';

/** Runs `f` on `backend`, returns the host data of its result and checks that nothing leaked. */
async function runOn(backend: BackendName, f: () => tf.Tensor): Promise<Float32Array> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const out = f();
  const data = (await out.data()) as Float32Array;
  out.dispose();
  expect(tf.memory().numTensors, `${backend}: tensors leaked`).toBe(before);
  return data;
}

function withImage<T extends tf.Tensor>(f: (image: tf.Tensor4D) => T): () => T {
  return () =>
    tf.tidy(() => {
      const image = fixtureImage('image');
      return f(image);
    });
}

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(['wasm', 'webgpu'] as const)('degradations on %s', (backend: BackendName) => {
  let skipReason: string | undefined;
  beforeAll(async () => {
    try {
      await useBackend(backend);
    } catch (err) {
      // Only webgpu may be absent (no adapter); wasm must always work in Node.
      if (backend === 'webgpu' && err instanceof BackendUnavailableError) skipReason = err.reason;
      else throw err;
    }
  });

  const fixtureCases: Array<[string, () => tf.Tensor, number]> = [
    ...([['imresize_0.2500', 0.25], ['imresize_0.3333', 1 / 3], ['imresize_2.0000', 2]] as const).map(
      ([key, s]) => [key, withImage((x) => imresize(x, s)), 1e-5] as [string, () => tf.Tensor, number],
    ),
    ['filter2d_aniso', withImage((x) => filter2D(x, tf.tensor2d(fixture('kernel_gaussian_1').data, [13, 13]))), 1e-5],
    ['usm_sharp', withImage((x) => usmSharp(x)), 1e-5],
    ['jpeg_q30', withImage((x) => diffJpeg(x, 30)), 1e-4],
    ['jpeg_q95', withImage((x) => diffJpeg(x, 95)), 1e-4],
  ];

  for (const [key, f, tolerance] of fixtureCases) {
    it(`matches BasicSR ${key} to ${tolerance}`, async (ctx) => {
      if (skipReason !== undefined) ctx.skip(`webgpu adapter cannot be created here: ${skipReason}`);
      const err = maxAbsDiff(await runOn(backend, f), fixture(key).data);
      console.log(`${backend} ${key}: max abs error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(tolerance);
    });
  }

  it('per-sample filter2D equals cpu', async (ctx) => {
    if (skipReason !== undefined) ctx.skip(`webgpu adapter cannot be created here: ${skipReason}`);
    const f = withImage((x) => {
      const batch = tf.concat([x, tf.reverse(x, 1)]) as tf.Tensor4D;
      const kernels = stackKernels([
        bivariateGaussian(7, { sigmaX: 2, sigmaY: 0.6, theta: 0.4, isotropic: false }),
        bivariateGaussian(5, { sigmaX: 1 }),
      ]);
      return filter2D(batch, kernels);
    });
    const err = maxAbsDiff(await runOn(backend, f), await runOn('cpu', f));
    expect(err).toBeLessThan(1e-5);
  });

  it('RealESRGANDegradation runs and agrees with cpu up to rounding flips', async (ctx) => {
    if (skipReason !== undefined) ctx.skip(`webgpu adapter cannot be created here: ${skipReason}`);
    const d = new RealESRGANDegradation();
    const f = withImage((x) => d.degrade(tf.slice(x, [0, 0, 0, 0], [1, 32, 32, 3]) as tf.Tensor4D, 4, createRng(31)));
    const got = await runOn(backend, f);
    const want = await runOn('cpu', f);
    expect(got.length).toBe(8 * 8 * 3);
    // Float differences between backends can flip a JPEG or 8-bit rounding; nothing more.
    let mean = 0;
    for (let i = 0; i < got.length; i++) mean += Math.abs(got[i]! - want[i]!) / got.length;
    console.log(`${backend} RealESRGAN vs cpu: mean abs difference ${mean.toExponential(2)}`);
    expect(mean).toBeLessThan(1 / 255);
  });

  it('a seed gives the same Gaussian and Poisson noise as on cpu', async (ctx) => {
    if (skipReason !== undefined) ctx.skip(`webgpu adapter cannot be created here: ${skipReason}`);
    const gaussian = withImage((x) => addGaussianNoise(x, { sigma: 12, gray: false }, createRng(21)));
    expect(maxAbsDiff(await runOn(backend, gaussian), await runOn('cpu', gaussian))).toBeLessThan(1e-6);
    const poisson = withImage((x) => {
      const batch = tf.concat([x, tf.reverse(x, 2)]) as tf.Tensor4D;
      return addPoissonNoise(batch, { scale: [1, 2.5], gray: [false, true], clip: false }, createRng(22));
    });
    const got = await runOn(backend, poisson);
    const want = await runOn('cpu', poisson);
    // Identical counts; only float32 rounding of count / vals - q * scale may differ.
    const err = maxAbsDiff(got, want);
    console.log(`${backend} poisson vs cpu: max abs difference ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-6);
  });
});
