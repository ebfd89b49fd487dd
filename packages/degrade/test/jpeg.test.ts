import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DegradeError, diffJpeg } from '../src/index.js';
import { qualityToFactor } from '../src/jpeg/tables.js';
import { fixture, fixtureImage, maxAbsDiff } from './helpers/fixtures.js';

describe('diffJpeg (DiffJPEG semantics)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  for (const q of [30, 60, 95]) {
    it(`matches BasicSR jpeg_q${q} to 1e-4`, () => {
      const image = fixtureImage('image');
      const before = tf.memory().numTensors;
      const out = diffJpeg(image, q);
      const err = maxAbsDiff(out.dataSync(), fixture(`jpeg_q${q}`).data);
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      console.log(`jpeg_q${q}: max abs error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-4);
    });
  }

  it('per-sample qualities (array or tensor) equal separate calls, and odd sizes are padded', () => {
    const image = fixtureImage('image');
    const crop = tf.slice(image, [0, 3, 5, 0], [1, 37, 29, 3]) as tf.Tensor4D;
    const batch = tf.concat([crop, tf.reverse(crop, 1)]) as tf.Tensor4D;
    const a = diffJpeg(batch, [30, 95]);
    const qt = tf.tensor1d([30, 95]);
    const b = diffJpeg(batch, qt);
    expect(a.shape).toEqual([2, 37, 29, 3]);
    const s0 = diffJpeg(tf.slice(batch, [0, 0, 0, 0], [1, 37, 29, 3]) as tf.Tensor4D, 30);
    const s1 = diffJpeg(tf.slice(batch, [1, 0, 0, 0], [1, 37, 29, 3]) as tf.Tensor4D, 95);
    const got = a.dataSync();
    expect(maxAbsDiff(got.subarray(0, got.length / 2), s0.dataSync())).toBe(0);
    expect(maxAbsDiff(got.subarray(got.length / 2), s1.dataSync())).toBe(0);
    expect(maxAbsDiff(b.dataSync(), got)).toBeLessThan(1e-6);
    tf.dispose([image, crop, batch, a, qt, b, s0, s1]);
  });

  it('differentiable rounding stays close to hard rounding and passes gradients', () => {
    const image = fixtureImage('image');
    const hard = diffJpeg(image, 60);
    const soft = diffJpeg(image, 60, { differentiable: true });
    // |x - round(x)|^3 <= 1/8 of a quantization step per coefficient: visibly close, not equal.
    const d = maxAbsDiff(hard.dataSync(), soft.dataSync());
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.1);
    const g = tf.grad((x: tf.Tensor) => tf.sum(diffJpeg(x as tf.Tensor4D, 60, { differentiable: true })))(image);
    const gHard = tf.grad((x: tf.Tensor) => tf.sum(diffJpeg(x as tf.Tensor4D, 60)))(image);
    expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    expect(tf.max(tf.abs(gHard)).dataSync()[0]).toBe(0);
    tf.dispose([image, hard, soft, g, gHard]);
  });

  it('quality_to_factor and argument checks', () => {
    expect(qualityToFactor(25)).toBe(2);
    expect(qualityToFactor(50)).toBe(1);
    expect(qualityToFactor(90)).toBeCloseTo(0.2, 15);
    const img = tf.zeros([2, 16, 16, 3]) as tf.Tensor4D;
    expect(() => diffJpeg(img, [50])).toThrow(DegradeError);
    expect(() => diffJpeg(img, 100)).toThrow(/quality/);
    const gray = tf.zeros([1, 16, 16, 1]) as tf.Tensor4D;
    expect(() => diffJpeg(gray, 50)).toThrow(DegradeError);
    tf.dispose([img, gray]);
  });
});
