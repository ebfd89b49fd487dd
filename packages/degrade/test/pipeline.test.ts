import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BicubicDegradation,
  bivariateGaussian,
  DegradeError,
  diffJpeg,
  filter2D,
  interpolate,
  kernelToTensor,
  RealESRGANDegradation,
  REALESRGAN_DEFAULTS,
} from '../src/index.js';
import { fixture, fixtureImage, maxAbsDiff } from './helpers/fixtures.js';

function expect8Bit(values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
    expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-3);
  }
}

// One backend for both suites, so either runs alone (vitest -t) as well.
beforeAll(async () => {
  await useBackend('cpu');
});

describe('RealESRGANDegradation', () => {
  it('publishes Real-ESRGAN x4plus defaults', () => {
    const d = new RealESRGANDegradation();
    expect(d.options.resizeProb).toEqual([0.2, 0.7, 0.1]);
    expect(d.options.kernel2.sigmaXRange).toEqual([0.2, 1.5]);
    expect(d.options.finalSinc.finalSincProb).toBe(0.8);
    // Nested options merge key by key.
    const custom = new RealESRGANDegradation({ kernel1: { sincProb: 0.5 } });
    expect(custom.options.kernel1.sincProb).toBe(0.5);
    expect(custom.options.kernel1.sigmaXRange).toEqual(REALESRGAN_DEFAULTS.kernel1.sigmaXRange);
  });

  it('degrades a batch to [N, H/s, W/s, 3] 8-bit images, reproducibly and without leaks', () => {
    const image = fixtureImage('image');
    const batch = tf.concat([image, tf.reverse(image, 2)]) as tf.Tensor4D;
    const d = new RealESRGANDegradation();
    for (const seed of [1, 2, 3, 4]) {
      const before = tf.memory().numTensors;
      const a = d.degrade(batch, 4, createRng(seed));
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(a.shape).toEqual([2, 12, 12, 3]);
      expect8Bit(a.dataSync());
      const b = d.degrade(batch, 4, createRng(seed));
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
    }
    tf.dispose([image, batch]);
  });

  it('advances the generator (two calls differ) and keeps each sample independent of the batch', () => {
    const image = fixtureImage('image');
    const d = new RealESRGANDegradation();
    const rng = createRng(9);
    const first = d.degrade(image, 2, rng);
    const second = d.degrade(image, 2, rng);
    expect(maxAbsDiff(first.dataSync(), second.dataSync())).toBeGreaterThan(0);
    const alone = d.degrade(image, 2, createRng(10));
    const batch = tf.concat([image, image]) as tf.Tensor4D;
    const both = d.degrade(batch, 2, createRng(10));
    const data = both.dataSync();
    expect(Array.from(data.subarray(0, data.length / 2))).toEqual(Array.from(alone.dataSync()));
    // The second sample has its own draws.
    expect(maxAbsDiff(data.subarray(0, data.length / 2), data.subarray(data.length / 2))).toBeGreaterThan(0);
    tf.dispose([image, first, second, alone, batch, both]);
  });

  it('with the randomness pinned, equals the same chain of ops composed by hand', () => {
    const d = new RealESRGANDegradation({
      sharpenInput: false,
      kernel1: { kernelSizes: [7], sincProb: 0, kernelList: ['iso'], kernelProb: [1], sigmaXRange: [1, 1] },
      finalSinc: { finalSincProb: 0 },
      resizeModes: ['area'],
      resizeProb: [0, 0, 1],
      gaussianNoiseProb: 1,
      noiseRange: [0, 0],
      jpegRange: [50, 50],
      secondBlurProb: 0,
      resizeProb2: [0, 0, 1],
      gaussianNoiseProb2: 1,
      noiseRange2: [0, 0],
      jpegRange2: [70, 70],
      sincBeforeJpegProb: 1,
    });
    const image = fixtureImage('image');
    const got = d.degrade(image, 2, createRng(11));
    const want = tf.tidy(() => {
      let x = filter2D(image, kernelToTensor(bivariateGaussian(7, { sigmaX: 1 })));
      x = diffJpeg(tf.clipByValue(x, 0, 1), 50);
      x = interpolate(x, { height: 24, width: 24 }, { mode: 'area' });
      x = diffJpeg(tf.clipByValue(x, 0, 1), 70);
      return tf.div(tf.clipByValue(tf.round(tf.mul(x, 255)), 0, 255), 255);
    });
    expect(maxAbsDiff(got.dataSync(), want.dataSync())).toBe(0);
    tf.dispose([image, got, want]);
  });

  it('handles small inputs and rejects shapes the scale does not divide', () => {
    const small = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const d = new RealESRGANDegradation();
    for (const seed of [20, 21, 22, 23, 24, 25]) {
      const out = d.degrade(small, 4, createRng(seed));
      expect(out.shape).toEqual([1, 2, 2, 3]);
      out.dispose();
    }
    expect(() => d.degrade(small, 3, createRng(0))).toThrow(DegradeError);
    small.dispose();
  });
});

describe('BicubicDegradation', () => {
  it('is MATLAB bicubic (BasicSR imresize fixture), quantized to 8 bits by default', () => {
    const image = fixtureImage('image');
    const exact = new BicubicDegradation({ quantize: false }).degrade(image, 4);
    expect(maxAbsDiff(exact.dataSync(), fixture('imresize_0.2500').data)).toBeLessThan(1e-5);
    const before = tf.memory().numTensors;
    const quantized = new BicubicDegradation().degrade(image, 4, createRng(0));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(quantized.shape).toEqual([1, 12, 12, 3]);
    const q = quantized.dataSync();
    expect8Bit(q);
    const e = exact.dataSync();
    for (let i = 0; i < q.length; i++) expect(Math.abs(q[i]! - Math.min(1, Math.max(0, e[i]!)))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    tf.dispose([image, exact, quantized]);
  });
});
