import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@yonos/core';
import { bicubicWeights, cubic } from '@yonos/core/internal';
import { imresize, ResizeError } from '../src/index.js';
import { fixture, fixtureImage, maxAbsDiff } from './helpers/fixtures.js';

const SCALES: Array<[string, number]> = [
  ['imresize_0.5000', 1 / 2],
  ['imresize_0.3333', 1 / 3],
  ['imresize_0.2500', 1 / 4],
  ['imresize_0.1250', 1 / 8],
  ['imresize_2.0000', 2],
  ['imresize_4.0000', 4],
];

describe('imresize (MATLAB bicubic)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  for (const [key, scale] of SCALES) {
    it(`matches BasicSR ${key} to 1e-5`, () => {
      const image = fixtureImage('image');
      const expected = fixture(key);
      const before = tf.memory().numTensors;
      const out = imresize(image, scale);
      expect(out.shape).toEqual([1, ...expected.shape]);
      const err = maxAbsDiff(out.dataSync(), expected.data);
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      console.log(`${key}: max abs error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-5);
    });
  }

  it('an explicit output size equals the same factor given as a scale', () => {
    const image = fixtureImage('image');
    const bySize = imresize(image, { height: 12, width: 12 });
    const byScale = imresize(image, 0.25);
    expect(maxAbsDiff(bySize.dataSync(), byScale.dataSync())).toBe(0);
    tf.dispose([image, bySize, byScale]);
  });

  it('resizes a batch sample by sample, with per-axis factors for explicit sizes', () => {
    const a = fixtureImage('image');
    const b = tf.tidy(() => tf.reverse(a, 1));
    const batch = tf.concat([a, b]);
    const out = imresize(batch, { height: 20, width: 72 });
    expect(out.shape).toEqual([2, 20, 72, 3]);
    // Independent reference: the separable matrices applied on the host in float64.
    const wh = bicubicWeights(48, 20, 20 / 48, true);
    const ww = bicubicWeights(48, 72, 72 / 48, true);
    const src = batch.dataSync();
    const ref = new Float64Array(2 * 20 * 72 * 3);
    for (let n = 0; n < 2; n++) {
      for (let i = 0; i < 20; i++) {
        for (let j = 0; j < 72; j++) {
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let y = 0; y < 48; y++) {
              for (let x = 0; x < 48; x++) {
                s += wh[i * 48 + y]! * ww[j * 48 + x]! * src[((n * 48 + y) * 48 + x) * 3 + c]!;
              }
            }
            ref[((n * 20 + i) * 72 + j) * 3 + c] = s;
          }
        }
      }
    }
    expect(maxAbsDiff(out.dataSync(), ref)).toBeLessThan(1e-5);
    tf.dispose([a, b, batch, out]);
  });

  it('keeps constants constant and rows of the weights sum to 1', () => {
    for (const [inLen, outLen] of [[48, 6], [7, 3], [5, 40], [3, 1]] as const) {
      const w = bicubicWeights(inLen, outLen, outLen / inLen, true);
      for (let i = 0; i < outLen; i++) {
        let s = 0;
        for (let k = 0; k < inLen; k++) s += w[i * inLen + k]!;
        expect(Math.abs(s - 1)).toBeLessThan(1e-12);
      }
    }
    const flat = tf.fill([1, 5, 9, 2], 0.7) as tf.Tensor4D;
    const out = imresize(flat, 0.3);
    expect(out.shape).toEqual([1, 2, 3, 2]);
    expect(maxAbsDiff(out.dataSync(), new Float32Array(12).fill(0.7))).toBeLessThan(1e-6);
    tf.dispose([flat, out]);
  });

  it('cubic kernel and symmetric (edge-repeating) reflection follow MATLAB', () => {
    expect(cubic(0)).toBe(1);
    expect(cubic(1)).toBe(0);
    expect(cubic(2)).toBe(0);
    expect(cubic(0.5)).toBeCloseTo(0.5625, 15);
    expect(cubic(1.5)).toBeCloseTo(-0.0625, 15);
    // Enlarging 2 -> 4: output 1 sits at u = 0.75 (1-based); its taps are pixels -1, 0, 1, 2 at
    // distances 1.75, 0.75, 0.25, 1.25. Symmetric padding mirrors pixel 0 onto 1 and -1 onto 2.
    const w = bicubicWeights(2, 4, 2, true);
    expect(w[0]).toBeCloseTo(cubic(0.75) + cubic(0.25), 15);
    expect(w[1]).toBeCloseTo(cubic(1.75) + cubic(1.25), 15);
  });

  it('is differentiable with respect to the image', () => {
    const image = tf.randomUniform([1, 8, 8, 1]) as tf.Tensor4D;
    const g = tf.grad((x: tf.Tensor) => tf.sum(imresize(x as tf.Tensor4D, 0.5)))(image);
    // Each output pixel's weights sum to 1, so the gradient sums to the number of outputs.
    expect(tf.sum(g).dataSync()[0]).toBeCloseTo(16, 4);
    tf.dispose([image, g]);
  });

  it('rejects bad arguments with a ResizeError', () => {
    const image = tf.zeros([4, 4, 3]);
    expect(() => imresize(image as unknown as tf.Tensor4D, 2)).toThrow(ResizeError);
    const img4 = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    expect(() => imresize(img4, 0)).toThrow(ResizeError);
    expect(() => imresize(img4, { height: 2.5, width: 3 })).toThrow(/positive integer/);
    tf.dispose([image, img4]);
  });
});
