// The speed kernels YONOS registers for wasm (heap-copy Slice/SplitV/Concat/Reverse/
// StridedSlice, buffer-sharing Identity, BatchMatMul as plain products, leading-axes Sum): results against the cpu
// backend's own kernels over many shapes, dtypes and attributes, registration, and leaks.
// Copies must be bit-exact; products and sums agree to float32 rounding.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conv2dFilterGradViaConv, nativeKernel, polyfilledKernels, useBackend } from '../src/backend/index.js';
import type { ConvPad } from '../src/backend/index.js';
import { conv2dFilterGradIm2col, prefersIm2col } from '../src/backend/kernels/conv2d-filter-grad-im2col.js';
import { copyStridedBox } from '../src/backend/kernels/wasm-slice.js';

type Dtype = 'float32' | 'int32' | 'bool';

interface HostTensor {
  readonly shape: number[];
  readonly dtype: Dtype;
  readonly data: Float32Array | Int32Array | Uint8Array;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hostTensor(shape: number[], dtype: Dtype, rand: () => number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') return { shape, dtype, data: Int32Array.from({ length: n }, () => Math.floor(rand() * 2000) - 1000) };
  if (dtype === 'bool') return { shape, dtype, data: Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)) };
  return { shape, dtype, data: Float32Array.from({ length: n }, () => rand() * 4 - 2) };
}

interface Outcome {
  readonly shapes: number[][];
  readonly dtypes: string[];
  readonly values: Array<Float32Array | Int32Array | Uint8Array>;
}

/** Runs `fn` on the active backend with fresh tensors from `inputs`; checks no tensor is left behind. */
async function runOn(backend: 'cpu' | 'wasm', inputs: readonly HostTensor[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Outcome> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const xs = inputs.map((h) => tf.tensor(h.data, h.shape, h.dtype));
  const outs = [tf.tidy(() => fn(...xs))].flat();
  const values = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array | Int32Array | Uint8Array));
  const result = { shapes: outs.map((t) => [...t.shape]), dtypes: outs.map((t) => t.dtype), values };
  tf.dispose([...xs, ...outs]);
  expect(tf.memory().numTensors, `${backend}: tensors left behind`).toBe(before);
  return result;
}

/**
 * wasm against cpu: same shapes and dtypes; values equal (`tol` 0) or within `tol` relative
 * to the largest. `reference` replaces `fn` on cpu where tfjs-backend-cpu 4.22 itself is
 * wrong (it is then an equivalent formulation cpu gets right).
 */
async function agree(
  inputs: readonly HostTensor[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  tol = 0,
  reference = fn,
): Promise<number> {
  const want = await runOn('cpu', inputs, reference);
  const got = await runOn('wasm', inputs, fn);
  expect(got.shapes).toEqual(want.shapes);
  expect(got.dtypes).toEqual(want.dtypes);
  let worst = 0;
  got.values.forEach((v, i) => {
    const w = want.values[i]!;
    expect(v.length).toBe(w.length);
    if (tol === 0) {
      expect(Array.from(v)).toEqual(Array.from(w));
      return;
    }
    let diff = 0;
    let scale = 0;
    for (let j = 0; j < w.length; j++) {
      diff = Math.max(diff, Math.abs(v[j]! - w[j]!));
      scale = Math.max(scale, Math.abs(w[j]!));
    }
    const err = scale === 0 ? diff : diff / scale;
    expect(err).toBeLessThanOrEqual(tol);
    worst = Math.max(worst, err);
  });
  return worst;
}

const rand = mulberry32(20240611);
const DTYPES: readonly Dtype[] = ['float32', 'int32', 'bool'];

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(async () => {
  await useBackend('cpu');
});

describe('registration on wasm', () => {
  test('the speed kernels replace wasm’s own and leave cpu alone', async () => {
    await useBackend('wasm');
    const mine = polyfilledKernels('wasm');
    for (const k of ['BatchMatMul', 'Sum', 'Slice', 'SplitV', 'Concat', 'Reverse', 'StridedSlice', 'Identity']) {
      expect(mine).toContain(k);
      expect(nativeKernel(k, 'wasm')).toBeDefined();
      expect(tf.getKernel(k, 'wasm')?.kernelFunc).not.toBe(nativeKernel(k, 'wasm')?.kernelFunc);
    }
    await useBackend('cpu');
    for (const k of ['BatchMatMul', 'Sum', 'Slice', 'SplitV', 'Concat', 'Reverse', 'StridedSlice', 'Identity']) {
      expect(polyfilledKernels('cpu')).not.toContain(k);
    }
  });
});

describe('heap copies are bit-exact against cpu', () => {
  test.for(DTYPES)('slice: random boxes of rank 1-5 (%s)', async (dtype) => {
    for (let trial = 0; trial < 12; trial++) {
      const rank = 1 + (trial % 5);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 5));
      const begin = shape.map((n) => Math.floor(rand() * n));
      const size = shape.map((n, d) => (rand() < 0.3 ? -1 : Math.floor(rand() * (n - begin[d]!)) + 1));
      await agree([hostTensor(shape, dtype, rand)], (x) => tf.slice(x!, begin, size));
    }
  });

  test('slice: whole tensor, a contiguous row block, channel slices of NHWC, empty', async () => {
    const x = hostTensor([2, 5, 6, 8], 'float32', rand);
    await agree([x], (t) => tf.slice(t!, [0, 0, 0, 0], [-1, -1, -1, -1]));
    await agree([x], (t) => tf.slice(t!, [1, 0, 0, 0], [1, -1, -1, -1]));
    await agree([x], (t) => tf.slice(t!, [0, 0, 0, 3], [2, 5, 6, 5]));
    await agree([x], (t) => tf.slice(t!, [0, 1, 2, 1], [2, 3, 3, 2]));
    await agree([x], (t) => tf.slice(t!, [0, 0, 0, 0], [2, 0, 6, 8]));
  });

  test.for(DTYPES)('split and concat along every axis (%s)', async (dtype) => {
    const x = hostTensor([3, 4, 5, 6], dtype, rand);
    for (let axis = 0; axis < 4; axis++) {
      const n = x.shape[axis]!;
      await agree([x], (t) => tf.split(t!, [1, n - 1], axis));
      await agree([x], (t) => tf.concat([t!, tf.slice(t!, [0, 0, 0, 0], x.shape.map((s, d) => (d === axis ? 1 : s)))], axis));
    }
    const y = hostTensor([3, 4, 5, 2], dtype, rand);
    await agree([x, y], (a, b) => tf.concat([a!, b!, a!], 3));
  });

  test.for(DTYPES)('reverse: every subset of axes of a rank-4 tensor (%s)', async (dtype) => {
    const x = hostTensor([3, 2, 4, 5], dtype, rand);
    for (let mask = 1; mask < 16; mask++) {
      const axes = [0, 1, 2, 3].filter((d) => (mask >> d) & 1);
      await agree([x], (t) => tf.reverse(t!, axes));
    }
    await agree([hostTensor([7], dtype, rand)], (t) => tf.reverse(t!));
  });

  test.for(DTYPES)('identity (clone) shares the buffer: values, and each tensor outlives the other (%s)', async (dtype) => {
    for (const shape of [[7], [3, 5, 2], [2, 3, 1, 5], []]) {
      const x = hostTensor(shape, dtype, rand);
      await agree([x], (t) => tf.clone(t!));
      // The clone is readable after the original is freed, and the other way round; no buffer leaks.
      await useBackend('wasm');
      const before = tf.memory().numBytes;
      const a = tf.tensor(x.data, x.shape, x.dtype);
      const b = tf.clone(a);
      a.dispose();
      expect(Array.from(await b.data())).toEqual(Array.from(x.data));
      const c = tf.clone(b);
      b.dispose();
      expect(Array.from(await c.data())).toEqual(Array.from(x.data));
      c.dispose();
      expect(tf.memory().numBytes).toBe(before);
      expect(nativeKernel('Identity', 'wasm')).toBeDefined();
    }
  });

  test('identity: gradients saved by the engine (its clones) give cpu’s gradients', async () => {
    const x = hostTensor([2, 3, 5], 'float32', rand);
    await agree([x], (t) => tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(u), tf.square(u))))(t!), 1e-6);
  });

  test('reverse: the spatial flip of a conv filter', async () => {
    await agree([hostTensor([3, 3, 16, 8], 'float32', rand)], (t) => tf.reverse(t!, [0, 1]));
  });

  test.for(DTYPES)('stridedSlice: strides, negative strides, masks (%s)', async (dtype) => {
    const x = hostTensor([5, 6, 4, 3], dtype, rand);
    const cases: Array<(t: tf.Tensor) => tf.Tensor> = [
      (t) => tf.stridedSlice(t, [0, 0, 0, 0], [5, 6, 4, 3], [2, 2, 1, 1]),
      (t) => tf.stridedSlice(t, [1, 1, 0, 0], [5, 6, 4, 3], [2, 3, 1, 1]),
      (t) => tf.stridedSlice(t, [4, 5, 3, 2], [0, 0, 0, 0], [-1, -2, -1, -1]),
      (t) => tf.stridedSlice(t, [-1, 0, 0, 0], [-6, 6, 4, 3], [-1, 1, 1, 2]),
      (t) => tf.stridedSlice(t, [1, 0, 1, 0], [3, 0, 3, 0], [1, 1, 1, 1], 0b1010, 0b1010),
      (t) => tf.stridedSlice(t, [0, 0, 1], [0, 0, 3], [1, 1, 1], 0, 0, 0b001),
      (t) => tf.stridedSlice(t, [0, 1, 0, 0], [5, 2, 4, 3], [1, 1, 1, 1], 0, 0, 0, 0b0010),
    ];
    for (const c of cases) await agree([x], (t) => c(t!));
    // tfjs-backend-cpu 4.22 throws on these two; equivalent formulations serve as reference.
    await agree(
      [x],
      (t) => tf.stridedSlice(t!, [2, 1], [3, 5], [1, 2], 0, 0, 0, 0, 0b01),
      0,
      (t) => tf.reshape(tf.stridedSlice(t!, [2, 1, 0, 0], [3, 5, 4, 3], [1, 2, 1, 1]), [2, 4, 3]),
    );
    await agree(
      [x],
      (t) => tf.stridedSlice(t!, [3, 0, 0, 0], [1, 6, 4, 3], [1, 1, 1, 1]),
      0,
      (t) => tf.slice(t!, [3, 0, 0, 0], [0, 6, 4, 3]),
    );
  });

  test('copyStridedBox: short runs (loop) and long runs (copyWithin) agree with a scalar reference', () => {
    for (const bytes of [1, 4]) {
      const shape = [4, 5, 30];
      const n = 4 * 5 * 30;
      const heap = new Uint8Array(8 + n * bytes * 2 + 64);
      for (let i = 0; i < n * bytes; i++) heap[8 + i] = (i * 37 + 11) & 255;
      const dst = 8 + n * bytes + 16;
      for (const box of [
        { start: [1, 0, 0], step: [1, 1, 1], count: [2, 5, 30] },
        { start: [3, 4, 29], step: [-1, -2, -3], count: [4, 3, 10] },
        { start: [0, 1, 2], step: [2, 1, 1], count: [2, 3, 5] },
        { start: [0, 0, 0], step: [1, 1, 1], count: [4, 5, 30] },
      ]) {
        copyStridedBox(heap, 8, dst, shape, box, bytes);
        let k = 0;
        for (let i = 0; i < box.count[0]!; i++)
          for (let j = 0; j < box.count[1]!; j++)
            for (let l = 0; l < box.count[2]!; l++) {
              const src = ((box.start[0]! + i * box.step[0]!) * 5 + box.start[1]! + j * box.step[1]!) * 30 + box.start[2]! + l * box.step[2]!;
              for (let b = 0; b < bytes; b++) expect(heap[dst + k * bytes + b]).toBe(heap[8 + src * bytes + b]);
              k++;
            }
      }
    }
  });
});

describe('products and sums agree with cpu to float32 rounding', () => {
  const f32 = (shape: number[]): HostTensor => hostTensor(shape, 'float32', rand);

  test('matMul: every transpose combination, rank 2, either orientation of the product', async () => {
    // [M, K, N]: balanced shapes transpose the operands, a short left matrix against a large
    // transposed right one ([4, 64] x [48, 64]^T) transposes the result instead.
    for (const [m, k, n] of [[24, 40, 32], [4, 64, 48], [3, 1, 5]]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = f32(ta ? [k!, m!] : [m!, k!]);
        const b = f32(tb ? [n!, k!] : [k!, n!]);
        await agree([a, b], (x, y) => tf.matMul(x!, y!, ta, tb), 1e-5);
      }
    }
  });

  test('batchMatMul: batched, broadcast either side, broadcast batch dims, transposes', async () => {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[3, 8, 5], [3, 5, 7], false, false],
      [[3, 5, 8], [3, 7, 5], true, true],
      [[2, 3, 8, 5], [5, 7], false, false],
      [[8, 5], [4, 5, 7], false, false],
      [[1, 8, 5], [4, 7, 5], false, true],
      [[4, 5, 8], [1, 5, 7], true, false],
      [[1, 1, 8, 5], [5, 7], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) await agree([f32(sa), f32(sb)], (x, y) => tf.matMul(x!, y!, ta, tb), 1e-5);
    // tfjs-backend-cpu 4.22 returns half the elements when both sides broadcast batch
    // dimensions ([2, 1] against [1, 3]); broadcasting them first is the reference.
    const both: Array<[number[], number[], boolean, boolean]> = [
      [[2, 1, 8, 5], [1, 3, 5, 7], false, false],
      [[2, 1, 5, 8], [1, 3, 7, 5], true, true],
    ];
    for (const [sa, sb, ta, tb] of both) {
      await agree(
        [f32(sa), f32(sb)],
        (x, y) => tf.matMul(x!, y!, ta, tb),
        1e-5,
        (x, y) => tf.matMul(tf.broadcastTo(x!, [2, 3, sa[2]!, sa[3]!]), tf.broadcastTo(y!, [2, 3, sb[2]!, sb[3]!]), ta, tb),
      );
    }
  });

  test('sum over leading axes (with keepDims) and the sums left to wasm', async () => {
    const x = f32([3, 4, 5, 6]);
    for (const axis of [0, [0, 1], [0, 1, 2], [1, 0], 1, [1, 2], -1, [0, 1, 2, 3]]) {
      for (const keepDims of [false, true]) await agree([x], (t) => tf.sum(t!, axis, keepDims), 1e-5);
    }
    await agree([hostTensor([6, 4], 'int32', rand)], (t) => tf.sum(t!, 0));
  });

  test('conv filter gradient as im2col + matMul on wasm equals the conv formulation on cpu', async () => {
    const asym: ConvPad = [
      [0, 0],
      [0, 1],
      [2, 0],
      [0, 0],
    ];
    const cases: Array<{ x: number[]; k: [number, number]; cout: number; s: number | [number, number]; pad: ConvPad; round?: 'floor' | 'ceil' }> = [
      { x: [1, 8, 8, 16], k: [3, 3], cout: 8, s: 1, pad: 'same' },
      { x: [2, 7, 9, 6], k: [3, 3], cout: 5, s: 1, pad: 'valid' },
      { x: [1, 9, 9, 8], k: [3, 3], cout: 4, s: 2, pad: 'same' },
      { x: [2, 8, 8, 4], k: [3, 3], cout: 6, s: 2, pad: asym },
      { x: [1, 10, 7, 4], k: [5, 3], cout: 3, s: [2, 1], pad: 'same' },
      // Numeric padding with rounding: square filters and strides only, as tfjs 4.22 sizes the
      // output of a numeric pad from the filter height and row stride alone (and tfjs-wasm then
      // writes past the output it allocated).
      { x: [1, 10, 7, 4], k: [3, 3], cout: 3, s: 2, pad: 2, round: 'ceil' },
      { x: [1, 10, 7, 4], k: [3, 3], cout: 3, s: 2, pad: 1, round: 'floor' },
      { x: [2, 6, 6, 5], k: [1, 1], cout: 7, s: 2, pad: 'valid' },
    ];
    for (const c of cases) {
      const filter: [number, number, number, number] = [c.k[0], c.k[1], c.x[3]!, c.cout];
      const yShape = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], filter, c.s, 1, c.pad, c.round).outShape;
      await agree(
        [f32(c.x), f32(yShape)],
        (x, dy) => conv2dFilterGradIm2col(x as tf.Tensor4D, dy as tf.Tensor4D, filter, c.s, c.pad, c.round),
        1e-5,
        (x, dy) => conv2dFilterGradViaConv(x as tf.Tensor4D, dy as tf.Tensor4D, filter, c.s, c.pad, c.round),
      );
    }
  });

  test('the wasm filter-gradient kernel takes either path and agrees with cpu', async () => {
    // [1, 4, 4, 16]: 16 rows < 4 * 16 (im2col); [4, 16, 16, 4]: 1024 rows >= 16 (conv form);
    // a 1x1 stride-1 conv always takes im2col (its input is the patch matrix).
    expect(prefersIm2col([1, 4, 4, 16], [1, 4, 4, 8], [3, 3, 16, 8])).toBe(true);
    expect(prefersIm2col([4, 16, 16, 4], [4, 16, 16, 8], [3, 3, 4, 8])).toBe(false);
    expect(prefersIm2col([4, 16, 16, 4], [4, 16, 16, 8], [1, 1, 4, 8])).toBe(true);
    for (const [xs, cout] of [[[1, 4, 4, 16], 8], [[4, 16, 16, 4], 8]] as Array<[[number, number, number, number], number]>) {
      const w = f32([3, 3, xs[3]!, cout]);
      await agree([f32(xs), w], (x, ww) => tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'))))(ww!), 1e-5);
    }
  });

  test('gradients through the new kernels (bias, matMul, concat, slice, reverse)', async () => {
    const x = f32([2, 4, 4, 6]);
    const w = f32([6, 5]);
    const b = f32([5]);
    await agree([x, w, b], (xx, ww, bb) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => {
        const y = tf.add(tf.matMul(tf.reshape(p, [-1, 6]), q), r);
        const z = tf.concat([tf.reverse(y, [0]), tf.slice(y, [0, 1], [-1, 3])], 1);
        return tf.sum(tf.mul(z, z));
      })([xx!, ww!, bb!]),
      1e-5,
    );
  });
});
