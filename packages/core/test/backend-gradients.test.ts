// YONOS's corrections to tfjs-core gradients, checked against independent formulations.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { useBackend } from '../src/backend/index.js';

/** Reflect/symmetric index map for one axis, as `tf.mirrorPad` defines it. */
function mirrorIndices(len: number, before: number, after: number, mode: 'reflect' | 'symmetric'): Int32Array {
  const out = new Int32Array(before + len + after);
  for (let i = 0; i < out.length; i++) {
    let j = i - before;
    if (j < 0) j = mode === 'reflect' ? -j : -j - 1;
    if (j >= len) j = mode === 'reflect' ? 2 * (len - 1) - j : 2 * len - 1 - j;
    out[i] = j;
  }
  return out;
}

/** The same padding as a chain of gathers, whose gradient (a segment sum) tfjs gets right. */
function mirrorPadByGather(x: tf.Tensor, paddings: Array<[number, number]>, mode: 'reflect' | 'symmetric'): tf.Tensor {
  let y = x;
  paddings.forEach(([b, a], axis) => {
    if (b === 0 && a === 0) return;
    y = tf.gather(y, tf.tensor1d(mirrorIndices(x.shape[axis] ?? 0, b, a, mode), 'int32'), axis);
  });
  return y;
}

describe('mirrorPad gradient folds the mirrored borders back (tfjs-core 4.22 only slices)', () => {
  const CASES: Array<{ mode: 'reflect' | 'symmetric'; paddings: Array<[number, number]> }> = [
    { mode: 'reflect', paddings: [[0, 0], [2, 2], [2, 2], [0, 0]] },
    { mode: 'reflect', paddings: [[0, 0], [3, 1], [0, 4], [0, 0]] },
    { mode: 'symmetric', paddings: [[0, 0], [1, 3], [5, 2], [0, 0]] },
    { mode: 'symmetric', paddings: [[1, 1], [0, 0], [2, 0], [1, 0]] },
  ];

  test.each(['cpu', 'wasm'] as const)('%s', async (backend) => {
    await useBackend(backend);
    for (const { mode, paddings } of CASES) {
      const x = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 1);
      const outShape = x.shape.map((s, i) => s + (paddings[i]?.[0] ?? 0) + (paddings[i]?.[1] ?? 0));
      const cot = tf.randomNormal(outShape, 0, 1, 'float32', 2);
      const before = tf.memory().numTensors;
      const [got, want, fwdGot, fwdWant] = tf.tidy(() => [
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, paddings, mode), cot)))(x),
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(mirrorPadByGather(t, paddings, mode), cot)))(x),
        tf.mirrorPad(x, paddings, mode),
        mirrorPadByGather(x, paddings, mode),
      ]) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      expect(Array.from(await fwdGot.data())).toEqual(Array.from(await fwdWant.data()));
      const [g, w] = await Promise.all([got.data(), want.data()]);
      let diff = 0;
      let scale = 0;
      w.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - (g[i] ?? NaN)));
        scale = Math.max(scale, Math.abs(v));
      });
      expect(diff / scale, `${mode} ${JSON.stringify(paddings)}`).toBeLessThan(1e-6);
      tf.dispose([got, want, fwdGot, fwdWant]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, cot]);
    }
  });
});
