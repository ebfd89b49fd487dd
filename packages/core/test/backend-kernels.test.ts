// The training kernels YONOS registers: exactness against tfjs's own kernels (cpu) and
// independent checks, the registry path on wasm, NCHW, and leaks.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  conv2dFilterGradViaConv,
  conv2dInputGradViaConv,
  depthwiseFilterGradViaConv,
  depthwiseInputGradViaConv,
  nativeKernel,
  useBackend,
} from '../src/backend/index.js';
import type { ConvPad } from '../src/backend/index.js';
import { preciseCos, preciseSin } from '../src/backend/kernels/precise-trig.js';
import { nearestSourceIndex } from '../src/backend/kernels/resize-nearest-grad.js';

/** Max abs difference over max abs of `want`. */
async function relErr(got: tf.Tensor, want: tf.Tensor): Promise<number> {
  const [g, w] = await Promise.all([got.data(), want.data()]);
  expect(got.shape).toEqual(want.shape);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < w.length; i++) {
    diff = Math.max(diff, Math.abs((g[i] ?? Number.NaN) - (w[i] ?? 0)));
    scale = Math.max(scale, Math.abs(w[i] ?? 0));
  }
  return Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff / scale;
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    a ^= a >>> 13;
    return (a >>> 0) / 4294967296 - 0.5;
  };
}
function randn(shape: number[], seed: number): tf.Tensor {
  const r = seeded(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r()), shape);
}

/** Inner product in float64, and the sum of the absolute values of its terms. */
async function dot(a: tf.Tensor, b: tf.Tensor): Promise<{ sum: number; abs: number }> {
  const [u, v] = await Promise.all([a.data(), b.data()]);
  let sum = 0;
  let abs = 0;
  for (let i = 0; i < u.length; i++) {
    const t = (u[i] ?? NaN) * (v[i] ?? NaN);
    sum += t;
    abs += Math.abs(t);
  }
  return { sum, abs };
}

/** Run the active backend's own kernel, bypassing any YONOS replacement. */
function runNative(kernel: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  const own = nativeKernel(kernel, tf.getBackend());
  if (own === undefined) throw new Error(`${tf.getBackend()} has no ${kernel} of its own`);
  const out = own.kernelFunc({ inputs, backend: tf.backend(), attrs: attrs as unknown as tf.NamedAttrMap });
  return tf.engine().makeTensorFromTensorInfo(Array.isArray(out) ? (out[0] as tf.TensorInfo) : out);
}

const ASYM: ConvPad = [
  [0, 0],
  [0, 1],
  [0, 1],
  [0, 0],
];
const PADS: readonly ConvPad[] = [
  'same',
  'valid',
  ASYM,
  [
    [0, 0],
    [2, 0],
    [1, 3],
    [0, 0],
  ],
  1,
  2,
];

describe('conv2d gradients as forward convolutions (cpu, against tfjs-backend-cpu kernels)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('every kernel size, stride, padding and rounding mode', async () => {
    let worst = 0;
    let cases = 0;
    let seed = 1;
    for (const [kh, kw] of [[1, 1], [2, 1], [3, 3], [4, 3], [5, 4]] as const) {
      for (const strides of [[1, 1], [2, 2], [1, 2], [3, 2]] as Array<[number, number]>) {
        for (const pad of PADS) {
          for (const [h, w] of [[7, 8], [8, 8], [9, 5]] as const) {
            for (const rounding of typeof pad === 'number' ? (['floor', 'ceil', 'round'] as const) : ([undefined] as const)) {
              const x = randn([2, h, w, 3], seed++) as tf.Tensor4D;
              const filter = randn([kh, kw, 3, 4], seed++) as tf.Tensor4D;
              const outShape = tf.conv2d(x, filter, strides, pad, 'NHWC', 1, rounding).shape;
              if (outShape[1] < 1 || outShape[2] < 1) continue;
              const dy = randn(outShape, seed++) as tf.Tensor4D;
              const attrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: rounding };
              const wantF = runNative('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape });
              const wantI = runNative('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape });
              const gotF = conv2dFilterGradViaConv(x, dy, filter.shape, strides, pad, rounding);
              const gotI = conv2dInputGradViaConv(x.shape, dy, filter, strides, pad, rounding);
              const eF = await relErr(gotF, wantF);
              const eI = await relErr(gotI, wantI);
              expect(eF, `filter grad k=${kh}x${kw} s=${strides} pad=${JSON.stringify(pad)} ${h}x${w} ${rounding}`).toBeLessThan(1e-5);
              expect(eI, `input grad k=${kh}x${kw} s=${strides} pad=${JSON.stringify(pad)} ${h}x${w} ${rounding}`).toBeLessThan(1e-5);
              worst = Math.max(worst, eF, eI);
              cases++;
              tf.dispose([x, filter, dy, wantF, wantI, gotF, gotI]);
            }
          }
        }
      }
    }
    console.log(`conv2d backprop via conv: ${cases} configurations on cpu, worst rel. error ${worst.toExponential(2)} (limit 1e-5)`);
    expect(cases).toBeGreaterThan(300);
  });

  test('NCHW attributes go through the NHWC path', async () => {
    const { conv2DBackpropFilterKernel } = await import('../src/backend/kernels/conv2d-backprop-filter.js');
    const { conv2DBackpropInputKernel } = await import('../src/backend/kernels/conv2d-backprop-input.js');
    const x = randn([2, 9, 8, 3], 11) as tf.Tensor4D;
    const filter = randn([3, 3, 3, 5], 12) as tf.Tensor4D;
    const dy = randn([2, 5, 4, 5], 13) as tf.Tensor4D;
    const padNHWC: ConvPad = [
      [0, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ];
    const padNCHW = [
      [0, 0],
      [0, 0],
      [1, 1],
      [0, 1],
    ];
    const attrs = { strides: [2, 2], pad: padNHWC, dataFormat: 'NHWC' };
    const wantF = runNative('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape });
    const wantI = runNative('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape });
    const xT = tf.transpose(x, [0, 3, 1, 2]);
    const dyT = tf.transpose(dy, [0, 3, 1, 2]);
    const gotF = conv2DBackpropFilterKernel({
      inputs: { x: xT, dy: dyT },
      backend: tf.backend(),
      attrs: { strides: [2, 2], pad: padNCHW, dataFormat: 'NCHW', filterShape: filter.shape } as unknown as tf.NamedAttrMap,
    }) as tf.Tensor;
    const gotI = conv2DBackpropInputKernel({
      inputs: { dy: dyT, filter },
      backend: tf.backend(),
      attrs: { strides: [2, 2], pad: padNCHW, dataFormat: 'NCHW', inputShape: [2, 3, 9, 8] } as unknown as tf.NamedAttrMap,
    }) as tf.Tensor;
    expect(await relErr(gotF, wantF)).toBeLessThan(1e-5);
    expect(await relErr(tf.transpose(gotI, [0, 2, 3, 1]), wantI)).toBeLessThan(1e-5);
  });
});

describe('depthwiseConv2d gradients', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('match tfjs-backend-cpu kernels (dilation 1) and satisfy <y, dy> = <x, dx> = <w, dw> (all)', async () => {
    let worst = 0;
    let worstAdjoint = 0;
    let seed = 100;
    for (const k of [1, 3, 4, 5]) {
      for (const [strides, dilations] of [
        [[1, 1], [1, 1]],
        [[2, 2], [1, 1]],
        [[1, 2], [1, 1]],
        [[1, 1], [2, 2]],
        [[1, 1], [2, 1]],
      ] as Array<[[number, number], [number, number]]>) {
        for (const pad of PADS) {
          for (const m of [1, 2]) {
            const x = randn([2, 11, 10, 3], seed++) as tf.Tensor4D;
            const filter = randn([k, k, 3, m], seed++) as tf.Tensor4D;
            let y: tf.Tensor4D;
            try {
              y = tf.depthwiseConv2d(x, filter, strides, pad, 'NHWC', dilations);
            } catch {
              continue; // tfjs rejects this combination for the forward op too.
            }
            const dy = randn(y.shape, seed++) as tf.Tensor4D;
            const dx = depthwiseInputGradViaConv(x.shape, dy, filter, strides, dilations, pad);
            const dw = depthwiseFilterGradViaConv(x, dy, filter.shape, strides, dilations, pad);
            // The forward op is bilinear, so its adjoint is pinned down by these inner products
            // (summed in float64, relative to the sum of the magnitudes of their terms).
            const [ip, ipx, ipw] = await Promise.all([
              dot(y, dy),
              dot(x, dx),
              dot(filter, dw),
            ]);
            worstAdjoint = Math.max(worstAdjoint, Math.abs(ipx.sum - ip.sum) / ip.abs, Math.abs(ipw.sum - ip.sum) / ip.abs);
            if (dilations[0] === 1 && dilations[1] === 1) {
              // tfjs-backend-cpu's own kernels ignore dilations (its gradients never pass any), so compare only here.
              const attrs = { strides, dilations, pad };
              const wantI = runNative('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape });
              const wantF = runNative('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape });
              worst = Math.max(worst, await relErr(dx, wantI), await relErr(dw, wantF));
            }
          }
        }
      }
    }
    console.log(`depthwise backprop: worst rel. error vs cpu ${worst.toExponential(2)}, adjoint ${worstAdjoint.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
    expect(worstAdjoint).toBeLessThan(1e-5);
  });
  test('stride and dilation both above 1 (which tfjs refuses for the forward op) still satisfy the adjoint identity', async () => {
    const { dilateFilter } = await import('../src/backend/kernels/depthwise-backprop.js');
    let worst = 0;
    for (const pad of PADS) {
      const x = randn([2, 13, 12, 3], 7) as tf.Tensor4D;
      const filter = randn([3, 3, 3, 2], 8) as tf.Tensor4D;
      // The forward op written with the holes made explicit, so tfjs accepts stride 2.
      const y = tf.depthwiseConv2d(x, dilateFilter(filter, [2, 2]), 2, pad);
      const dy = randn(y.shape, 9) as tf.Tensor4D;
      const dx = depthwiseInputGradViaConv(x.shape, dy, filter, 2, 2, pad);
      const dw = depthwiseFilterGradViaConv(x, dy, filter.shape, 2, 2, pad);
      const [ip, ipx, ipw] = await Promise.all([dot(y, dy), dot(x, dx), dot(filter, dw)]);
      worst = Math.max(worst, Math.abs(ipx.sum - ip.sum) / ip.abs, Math.abs(ipw.sum - ip.sum) / ip.abs);
      tf.dispose([x, filter, y, dy, dx, dw]);
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('on wasm, through the kernel registry', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  // The project's convolutions at training-like sizes; cpu is the reference.
  const CONVS: ReadonlyArray<{ name: string; x: number[]; w: number[]; strides: number; pad: ConvPad }> = [
    { name: '3x3 s1 same', x: [4, 16, 16, 32], w: [3, 3, 32, 32], strides: 1, pad: 'same' },
    { name: '1x1', x: [4, 16, 16, 32], w: [1, 1, 32, 64], strides: 1, pad: 'valid' },
    { name: '3x3 s2 Downsample2D', x: [4, 16, 16, 32], w: [3, 3, 32, 32], strides: 2, pad: ASYM },
    { name: '3x3 valid', x: [2, 12, 12, 16], w: [3, 3, 16, 8], strides: 1, pad: 'valid' },
  ];

  test.each(CONVS)('tf.grads through conv2d $name matches cpu, no leaks', async ({ x: xs, w: ws, strides, pad }) => {
    const x = randn(xs, 7) as tf.Tensor4D;
    const w = randn(ws, 8) as tf.Tensor4D;
    const grad = (): tf.Tensor[] =>
      tf.tidy(() => {
        const dy = tf.sin(tf.conv2d(x, w, strides, pad));
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad), dy)))([x, w]);
      });
    const before = tf.memory().numTensors;
    const got = grad();
    expect(tf.memory().numTensors).toBe(before + 2);
    const gotData = await Promise.all(got.map((t) => t.data()));
    tf.dispose(got);
    expect(tf.memory().numTensors).toBe(before);

    await useBackend('cpu');
    const want = grad();
    for (let i = 0; i < 2; i++) {
      const e = await relErr(tf.tensor(gotData[i] as Float32Array, (want[i] as tf.Tensor).shape), want[i] as tf.Tensor);
      expect(e, i === 0 ? 'input gradient' : 'filter gradient').toBeLessThan(1e-4);
    }
    tf.dispose(want);
    await useBackend('wasm');
    tf.dispose([x, w]);
  });

  test('the polyfilled kernels leave no tensor or backend buffer behind', () => {
    const x = randn([2, 8, 8, 4], 1) as tf.Tensor4D;
    const w = randn([3, 3, 4, 6], 2) as tf.Tensor4D;
    const k = randn([3, 3, 4, 1], 3) as tf.Tensor4D;
    const ids = tf.tensor1d([2, 0, 2, 1], 'int32');
    const table = randn([3, 5], 4);
    const before = tf.memory();
    tf.tidy(() => {
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, ASYM))),
      )([x, w]);
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))))([x, k]);
      tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, ids))))(table);
      tf.conv2dTranspose(randn([2, 4, 4, 6], 5) as tf.Tensor4D, w, [2, 8, 8, 4], 2, 'same');
    });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([x, w, k, ids, table]);
  });

  test('UnsortedSegmentSum adds repeated ids and drops out-of-range ones, as TensorFlow does', async () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ]);
    const ids = tf.tensor1d([1, -1, 1, 3, 7], 'int32');
    const got = tf.unsortedSegmentSum(x, ids, 4);
    expect(Array.from(await got.data())).toEqual([0, 0, 1 + 5, 2 + 6, 0, 0, 7, 8]);
    tf.dispose([x, ids, got]);
  });
});

describe('ResizeNearestNeighborGrad (tfjs: cpu wrong for batch > 1, wasm/webgpu ignore halfPixelCenters)', () => {
  // Independent reference: each dy pixel added to the source pixel of the forward mapping,
  // which is checked against the forward op itself first.
  async function expected(dy: tf.Tensor4D, h: number, w: number, alignCorners: boolean, halfPixel: boolean): Promise<Float32Array> {
    const [n, ho, wo, c] = dy.shape;
    const rows = nearestSourceIndex(ho, h, alignCorners, halfPixel);
    const cols = nearestSourceIndex(wo, w, alignCorners, halfPixel);
    const probe = tf.reshape(tf.range(0, h * w), [1, h, w, 1]) as tf.Tensor4D;
    const forward = await tf.image.resizeNearestNeighbor(probe, [ho, wo], alignCorners, halfPixel).data();
    for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) expect(forward[i * wo + j]).toBe((rows[i] ?? 0) * w + (cols[j] ?? 0));
    probe.dispose();
    const d = await dy.data();
    const out = new Float32Array(n * h * w * c);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++)
          for (let k = 0; k < c; k++) out[((b * h + (rows[i] ?? 0)) * w + (cols[j] ?? 0)) * c + k]! += d[((b * ho + i) * wo + j) * c + k] ?? 0;
    return out;
  }

  test.each(['cpu', 'wasm', 'webgpu'] as const)('%s: x2 and odd scales, every corner mode, batch 3', async (backend) => {
    await useBackend(backend);
    for (const [h, w, ho, wo] of [
      [8, 8, 16, 16],
      [5, 7, 12, 9],
      [6, 6, 4, 5],
    ] as const) {
      for (const [alignCorners, halfPixel] of [
        [false, false],
        [false, true],
        [true, false],
      ] as const) {
        const x = tf.zeros([3, h, w, 2]) as tf.Tensor4D;
        const dy = randn([3, ho, wo, 2], h * 31 + ho) as tf.Tensor4D;
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [ho, wo], alignCorners, halfPixel), dy)))(x);
        const want = await expected(dy, h, w, alignCorners, halfPixel);
        const e = await relErr(g, tf.tensor(want, g.shape));
        expect(e, `${h}x${w} -> ${ho}x${wo} align=${alignCorners} half=${halfPixel}`).toBeLessThan(1e-6);
        tf.dispose([x, dy, g]);
      }
    }
  });
});

describe('precise sin/cos (registered for webgpu, whose WGSL sin/cos allow 2^-11 error)', () => {
  test('agree with Math.sin/Math.cos of the float32 argument to 1e-6 up to |x| = 2000', async () => {
    await useBackend('cpu');
    const n = 20001;
    const xs = Float32Array.from({ length: n }, (_, i) => Math.fround(-2000 + (4000 * i) / (n - 1) + 0.37 * Math.sin(i)));
    const x = tf.tensor1d(xs);
    const [s, c] = await Promise.all([preciseSin(x).data(), preciseCos(x).data()]);
    let worst = 0;
    xs.forEach((v, i) => {
      worst = Math.max(worst, Math.abs((s[i] ?? NaN) - Math.sin(v)), Math.abs((c[i] ?? NaN) - Math.cos(v)));
    });
    console.log(`precise sin/cos: worst abs error ${worst.toExponential(2)} on [-2000, 2000]`);
    expect(worst).toBeLessThan(1e-6);
    x.dispose();
  });
});
