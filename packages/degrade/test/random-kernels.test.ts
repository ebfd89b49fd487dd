import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bivariateGeneralizedGaussian,
  DegradeError,
  randomBlurKernel,
  randomFinalSincKernel,
  randomMixedKernels,
  stackKernels,
} from '../src/index.js';
import { MIXED_KERNEL_TYPES, REALESRGAN_KERNEL_PROB, weightedChoice } from '../src/kernels/random.js';
import type { SampledKernel } from '../src/index.js';

const DRAWS = 10_000;

function sumOf(k: SampledKernel): number {
  return k.data.reduce((a, b) => a + b, 0);
}

/** |observed - n p| within 3 binomial standard deviations. */
function expectFrequency(observed: number, n: number, p: number): void {
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(3 * Math.sqrt(n * p * (1 - p)));
}

describe('random kernels', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it(`randomMixedKernels: Real-ESRGAN type frequencies over ${DRAWS} draws, ranges, unit sums`, () => {
    const rng = createRng(42);
    const counts = new Map<string, number>();
    let maxSumError = 0;
    for (let i = 0; i < DRAWS; i++) {
      const k = randomMixedKernels(rng);
      counts.set(k.type, (counts.get(k.type) ?? 0) + 1);
      maxSumError = Math.max(maxSumError, Math.abs(sumOf(k) - 1));
      expect(k.size).toBe(21);
      const p = k.params!;
      expect(p.sigmaX).toBeGreaterThanOrEqual(0.2);
      expect(p.sigmaX).toBeLessThanOrEqual(3);
      if (k.type.endsWith('aniso')) {
        expect(p.sigmaY).toBeGreaterThanOrEqual(0.2);
        expect(p.sigmaY).toBeLessThanOrEqual(3);
        expect(Math.abs(p.theta)).toBeLessThanOrEqual(Math.PI);
      } else {
        expect(p.sigmaY).toBe(p.sigmaX);
        expect(p.theta).toBe(0);
      }
      if (k.type.startsWith('generalized')) {
        expect(k.beta!).toBeGreaterThanOrEqual(0.5);
        expect(k.beta!).toBeLessThanOrEqual(4);
      } else if (k.type.startsWith('plateau')) {
        expect(k.beta!).toBeGreaterThanOrEqual(1);
        expect(k.beta!).toBeLessThanOrEqual(2);
      } else {
        expect(k.beta).toBeUndefined();
      }
    }
    expect(maxSumError).toBeLessThan(1e-12);
    MIXED_KERNEL_TYPES.forEach((type, i) => expectFrequency(counts.get(type) ?? 0, DRAWS, REALESRGAN_KERNEL_PROB[i]!));
  });

  it('draws are reproducible from the seed and the kernel matches its parameters', () => {
    const a = randomMixedKernels(createRng(7), { kernelList: ['generalized_aniso'], kernelProb: [1], kernelSize: 9 });
    const b = randomMixedKernels(createRng(7), { kernelList: ['generalized_aniso'], kernelProb: [1], kernelSize: 9 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const rebuilt = bivariateGeneralizedGaussian(9, a.params!, a.beta!);
    expect(Array.from(a.data)).toEqual(Array.from(rebuilt.data));
  });

  it('multiplicative noise keeps the sum at 1 and is skipped for plateau kernels', () => {
    const rng = createRng(8);
    const noisy = randomMixedKernels(rng, { kernelList: ['iso'], kernelProb: [1], kernelSize: 7, noiseRange: [0.75, 1.25] });
    expect(Math.abs(sumOf(noisy) - 1)).toBeLessThan(1e-12);
    // An isotropic Gaussian is symmetric; the noise breaks that.
    expect(noisy.data[0]).not.toBeCloseTo(noisy.data[6]!, 12);
    const plateau = randomMixedKernels(createRng(9), { kernelList: ['plateau_iso'], kernelProb: [1], kernelSize: 7, noiseRange: [0.75, 1.25] });
    expect(plateau.data[0]).toBeCloseTo(plateau.data[6]!, 15);
  });

  it(`randomBlurKernel: sinc probability 0.1 and sizes 7..21 over ${DRAWS} draws, padded to 21`, () => {
    const rng = createRng(10);
    let sinc = 0;
    const sizes = new Map<number, number>();
    for (let i = 0; i < DRAWS; i++) {
      const k = randomBlurKernel(rng);
      expect(k.size).toBe(21);
      expect(Math.abs(sumOf(k) - 1)).toBeLessThan(1e-12);
      sizes.set(k.baseSize, (sizes.get(k.baseSize) ?? 0) + 1);
      if (k.type === 'sinc') {
        sinc++;
        const lo = k.baseSize < 13 ? Math.PI / 3 : Math.PI / 5;
        expect(k.cutoff!).toBeGreaterThanOrEqual(lo);
        expect(k.cutoff!).toBeLessThanOrEqual(Math.PI);
      }
    }
    expectFrequency(sinc, DRAWS, 0.1);
    for (const s of [7, 9, 11, 13, 15, 17, 19, 21]) expectFrequency(sizes.get(s) ?? 0, DRAWS, 1 / 8);
  });

  it(`randomFinalSincKernel: sinc with probability 0.8, else the identity pulse`, () => {
    const rng = createRng(11);
    let sinc = 0;
    for (let i = 0; i < DRAWS; i++) {
      const k = randomFinalSincKernel(rng);
      expect(k.size).toBe(21);
      if (k.type === 'sinc') {
        sinc++;
      } else {
        expect(k.data[10 * 21 + 10]).toBe(1);
        expect(sumOf(k)).toBe(1);
      }
    }
    expectFrequency(sinc, DRAWS, 0.8);
  });

  it('weightedChoice follows random.choices and validates weights', () => {
    const rng = createRng(12);
    const counts = [0, 0, 0];
    for (let i = 0; i < DRAWS; i++) counts[weightedChoice(rng, [1, 2, 7])]! += 1;
    expectFrequency(counts[0]!, DRAWS, 0.1);
    expectFrequency(counts[1]!, DRAWS, 0.2);
    expectFrequency(counts[2]!, DRAWS, 0.7);
    expect(() => weightedChoice(rng, [0, 0])).toThrow(DegradeError);
    expect(() => randomMixedKernels(rng, { kernelList: ['iso', 'aniso'] })).toThrow(/kernelProb/);
  });

  it('stackKernels pads mixed sizes into one tensor without leaking', () => {
    const rng = createRng(13);
    const ks = [randomMixedKernels(rng, { kernelSize: 7 }), randomMixedKernels(rng, { kernelSize: 11 })];
    const before = tf.memory().numTensors;
    const t = stackKernels(ks);
    expect(t.shape).toEqual([2, 11, 11]);
    expect(tf.tidy(() => tf.sum(t, [1, 2]).dataSync()[0])).toBeCloseTo(1, 6);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
