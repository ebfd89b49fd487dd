import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bivariateGaussian, DegradeError, filter2D, kernelToTensor, stackKernels, usmSharp } from '../src/index.js';
import { reflectPad } from '../src/filter/reflect-pad.js';
import { gaussianKernel1d } from '../src/filter/usm-sharp.js';
import { fixture, fixtureImage, maxAbsDiff } from './helpers/fixtures.js';

/** Direct host reference: reflect-101 padding and correlation, float64. */
function hostFilter(img: Float32Array, h: number, w: number, c: number, kernel: ArrayLike<number>, k: number): Float64Array {
  const p = (k - 1) / 2;
  const refl = (i: number, n: number): number => {
    const period = 2 * (n - 1);
    let m = i % period;
    if (m < 0) m += period;
    return m < n ? m : period - m;
  };
  const out = new Float64Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            s += kernel[i * k + j]! * img[(refl(y + i - p, h) * w + refl(x + j - p, w)) * c + ch]!;
          }
        }
        out[(y * w + x) * c + ch] = s;
      }
    }
  }
  return out;
}

describe('filter2D, reflectPad, usmSharp', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('matches BasicSR filter2d_aniso (kernel_gaussian_1) to 1e-5', () => {
    const image = fixtureImage('image');
    const kernel = tf.tensor2d(fixture('kernel_gaussian_1').data, [13, 13]);
    const before = tf.memory().numTensors;
    const out = filter2D(image, kernel);
    const err = maxAbsDiff(out.dataSync(), fixture('filter2d_aniso').data);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, kernel]);
    console.log(`filter2d_aniso: max abs error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
  });

  it('applies a different kernel to each sample', () => {
    const a = fixtureImage('image');
    const b = tf.tidy(() => tf.sub(1, tf.reverse(a, 2))) as tf.Tensor4D;
    const batch = tf.concat([a, b]);
    const k1 = bivariateGaussian(13, { sigmaX: 2.5, sigmaY: 0.8, theta: 0.6, isotropic: false });
    const k2 = bivariateGaussian(5, { sigmaX: 1.1, sigmaY: 0.5, theta: -1, isotropic: false });
    const kernels = stackKernels([k1, k2]);
    expect(kernels.shape).toEqual([2, 13, 13]);
    const before = tf.memory().numTensors;
    const out = filter2D(batch, kernels);
    expect(tf.memory().numTensors).toBe(before + 1);
    const host = batch.dataSync();
    const size = 48 * 48 * 3;
    const ref0 = hostFilter(host.subarray(0, size) as Float32Array, 48, 48, 3, k1.data, 13);
    const ref1 = hostFilter(host.subarray(size) as Float32Array, 48, 48, 3, k2.data, 5);
    const got = out.dataSync();
    expect(maxAbsDiff(got.subarray(0, size), ref0)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got.subarray(size), ref1)).toBeLessThan(1e-5);
    tf.dispose([a, b, batch, kernels, out]);
  });

  it('reflects more than once when the pad exceeds the image', () => {
    const img = tf.tensor4d([1, 2, 3], [1, 1, 3, 1]);
    const padded = reflectPad(img, 4);
    // A single row reflects onto itself; along W the period is 2 * (3 - 1) = 4.
    const row = [1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3];
    expect(Array.from(padded.dataSync())).toEqual(Array.from({ length: 9 }, () => row).flat());
    tf.dispose([img, padded]);
    const small = tf.randomUniform([1, 5, 6, 2]) as tf.Tensor4D;
    const k = bivariateGaussian(15, { sigmaX: 3 });
    const out = filter2D(small, kernelToTensor(k));
    expect(maxAbsDiff(out.dataSync(), hostFilter(small.dataSync() as Float32Array, 5, 6, 2, k.data, 15))).toBeLessThan(1e-5);
    tf.dispose([small, out]);
  });

  it('is differentiable with respect to images and kernels', () => {
    const img = tf.randomUniform([2, 6, 6, 3]) as tf.Tensor4D;
    const kernels = stackKernels([bivariateGaussian(3, { sigmaX: 1 }), bivariateGaussian(3, { sigmaX: 0.5 })]);
    const [gi, gk] = tf.grads((x: tf.Tensor, k: tf.Tensor) => tf.sum(filter2D(x as tf.Tensor4D, k as tf.Tensor3D)))([img, kernels]);
    expect(gi!.shape).toEqual(img.shape);
    expect(gk!.shape).toEqual(kernels.shape);
    // Every output pixel spreads its unit gradient over taps that sum to 1 (mirrored taps
    // included), so the input gradient sums to the number of outputs.
    expect(tf.sum(gi!).dataSync()[0]).toBeCloseTo(2 * 36 * 3, 3);
    // The op is linear in the image, so a finite difference of a weighted sum is exact up to
    // float32 rounding; check a border pixel, where the reflection matters.
    const weights = tf.reshape(tf.range(0, 216), [2, 6, 6, 3]);
    const objective = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(filter2D(x as tf.Tensor4D, kernels), weights));
    const gw = tf.grad(objective)(img);
    const probe = 6 * 3 + 1; // sample 0, row 1, column 0, channel 1
    const bump = tf.tidy(() => tf.add(img, tf.reshape(tf.oneHot(tf.tensor1d([probe], 'int32'), 216), [2, 6, 6, 3])));
    const numeric = tf.tidy(() => tf.sub(objective(bump), objective(img)).dataSync()[0]!);
    expect(Math.abs(gw.dataSync()[probe]! - numeric)).toBeLessThan(1e-2);
    tf.dispose([weights, gw, bump]);
    tf.dispose([img, kernels, gi!, gk!]);
  });

  it('rejects even kernels and mismatched batches', () => {
    const img = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    const even = tf.zeros([4, 4]) as tf.Tensor2D;
    const three = tf.zeros([3, 3, 3]) as tf.Tensor3D;
    expect(() => filter2D(img, even)).toThrow(DegradeError);
    expect(() => filter2D(img, three)).toThrow(/one per image/);
    tf.dispose([img, even, three]);
  });

  it('getGaussianKernel: OpenCV sigma rule and small fixed kernels', () => {
    const g = gaussianKernel1d(51);
    // sigma = 0.3 * (25 - 1) + 0.8 = 8
    expect(g[25]! / g[17]!).toBeCloseTo(Math.exp(0.5), 12);
    expect(Array.from(gaussianKernel1d(5))).toEqual([0.0625, 0.25, 0.375, 0.25, 0.0625]);
    expect(gaussianKernel1d(5, 1.0)[2]).not.toBe(0.375);
  });

  it('matches BasicSR usm_sharp (USMSharp defaults) to 1e-5', () => {
    const image = fixtureImage('image');
    const before = tf.memory().numTensors;
    const out = usmSharp(image);
    const err = maxAbsDiff(out.dataSync(), fixture('usm_sharp').data);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
    console.log(`usm_sharp: max abs error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
  });
});
