// Every op the project uses, forward and backward, on wasm and webgpu against cpu.
// Values and gradients must agree to 1.5e-6 relative (max abs error / max abs expected; worst
// measured over the 84 cases 6.5e-7, so about 2x, for other CPUs' float32 summation orders),
// and a forward + backward pass must leave no tensor behind.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { BackendUnavailableError, useBackend } from '../src/backend/index.js';
import type { BackendName } from '../src/backend/index.js';
import { mulberry32 } from './prng.js';

const TOLERANCE = 1.5e-6;

/** How an input's values are drawn. */
type Kind = 'normal' | 'positive' | 'nonzero' | 'bool' | { int: number };

interface Input {
  readonly shape: number[];
  readonly kind?: Kind;
  /** Differentiate with respect to this input (default: float inputs). */
  readonly diff?: boolean;
}

interface OpCase {
  readonly name: string;
  readonly inputs: readonly Input[];
  readonly fn: (...xs: tf.Tensor[]) => tf.Tensor;
}

/** Results of one case on one backend, read back to the host. */
interface Outcome {
  readonly shapes: number[][];
  readonly values: Float32Array[];
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function draw(rand: () => number, size: number, kind: Kind): Float32Array | Int32Array | Uint8Array {
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  if (kind === 'bool') return Uint8Array.from({ length: size }, () => (rand() < 0.5 ? 1 : 0));
  if (typeof kind === 'object') return Int32Array.from({ length: size }, () => Math.floor(rand() * kind.int));
  return Float32Array.from({ length: size }, () => {
    const v = normal();
    if (kind === 'positive') return 0.2 + Math.abs(v);
    if (kind === 'nonzero') return v >= 0 ? v + 0.05 : v - 0.05;
    return v;
  });
}

const B = [2, 8, 8, 8]; // 1024 elements: above webgpu's 1000-element CPU hand-off, so GPU kernels run.
const x1 = (kind: Kind = 'normal'): Input[] => [{ shape: B, kind }];
const x2 = (a: Kind = 'normal', b: Kind = 'normal'): Input[] => [
  { shape: B, kind: a },
  { shape: B, kind: b },
];
const f = (t: tf.Tensor): tf.Tensor4D => t as tf.Tensor4D;
const gelu = (x: tf.Tensor): tf.Tensor => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));

const CASES: readonly OpCase[] = [
  // conv2d as the project uses it; inputs and filters both differentiated.
  { name: 'conv2d 3x3 s1 same', inputs: [{ shape: B }, { shape: [3, 3, 8, 16] }], fn: (x, w) => tf.conv2d(f(x), f(w), 1, 'same') },
  { name: 'conv2d 1x1', inputs: [{ shape: B }, { shape: [1, 1, 8, 12] }], fn: (x, w) => tf.conv2d(f(x), f(w), 1, 'valid') },
  {
    name: 'conv2d 3x3 s2 pad [0,1]',
    inputs: [{ shape: B }, { shape: [3, 3, 8, 16] }],
    fn: (x, w) =>
      tf.conv2d(f(x), f(w), 2, [
        [0, 0],
        [0, 1],
        [0, 1],
        [0, 0],
      ]),
  },
  { name: 'conv2d 3x3 valid', inputs: [{ shape: B }, { shape: [3, 3, 8, 4] }], fn: (x, w) => tf.conv2d(f(x), f(w), 1, 'valid') },
  { name: 'conv2d 3x3 s2 same', inputs: [{ shape: [2, 9, 9, 8] }, { shape: [3, 3, 8, 4] }], fn: (x, w) => tf.conv2d(f(x), f(w), 2, 'same') },
  {
    name: 'conv2dTranspose 3x3 s2',
    inputs: [{ shape: [2, 4, 4, 8] }, { shape: [3, 3, 6, 8] }],
    fn: (x, w) => tf.conv2dTranspose(f(x), f(w), [2, 8, 8, 6], 2, 'same'),
  },
  {
    // Second order: the gradient of a gradient runs the backprop kernels' own gradients.
    name: 'conv2d double backward',
    inputs: [{ shape: B }, { shape: [3, 3, 8, 8] }],
    fn: (x, w) => {
      const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(tf.conv2d(f(xx), f(w), 1, 'same'))))(x);
      return tf.mul(gx, x);
    },
  },
  // depthwiseConv2d as blur kernels use it (reflect padding then 'valid').
  {
    name: 'depthwiseConv2d blur 5x5',
    inputs: [{ shape: [2, 12, 12, 3] }, { shape: [5, 5, 3, 1] }],
    fn: (x, k) =>
      tf.depthwiseConv2d(
        tf.mirrorPad(f(x), [
          [0, 0],
          [2, 2],
          [2, 2],
          [0, 0],
        ], 'reflect'),
        f(k),
        1,
        'valid',
      ),
  },
  { name: 'depthwiseConv2d x2 multiplier s2 same', inputs: [{ shape: [2, 9, 9, 3] }, { shape: [3, 3, 3, 2] }], fn: (x, k) => tf.depthwiseConv2d(f(x), f(k), 2, 'same') },
  // matMul family.
  { name: 'matMul', inputs: [{ shape: [24, 40] }, { shape: [40, 32] }], fn: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) },
  { name: 'matMul transposeA', inputs: [{ shape: [40, 24] }, { shape: [40, 32] }], fn: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false) },
  { name: 'matMul transposeB', inputs: [{ shape: [24, 40] }, { shape: [32, 40] }], fn: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true) },
  { name: 'matMul transposeA+B', inputs: [{ shape: [40, 24] }, { shape: [32, 40] }], fn: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true) },
  { name: 'batchMatMul (q kT)', inputs: [{ shape: [2, 24, 16] }, { shape: [2, 32, 16] }], fn: (a, b) => tf.matMul(a, b, false, true) },
  { name: 'batchMatMul (attn v)', inputs: [{ shape: [2, 24, 32] }, { shape: [2, 32, 16] }], fn: (a, b) => tf.matMul(a, b) },
  { name: 'batchMatMul transposeA', inputs: [{ shape: [3, 20, 12] }, { shape: [3, 20, 8] }], fn: (a, b) => tf.matMul(a, b, true, false) },
  // tfjs-core 4.22's matMul gradient does not sum over broadcast batch dimensions, so the
  // shared (broadcast) side is not differentiated.
  {
    name: 'batchMatMul shared right matrix',
    inputs: [{ shape: [2, 3, 10, 16] }, { shape: [16, 12], diff: false }],
    fn: (a, b) => tf.matMul(a, b),
  },
  {
    name: 'batchMatMul shared left matrix, transposeB',
    inputs: [{ shape: [1, 10, 16], diff: false }, { shape: [4, 12, 16] }],
    fn: (a, b) => tf.matMul(a, b, false, true),
  },
  // Element-wise arithmetic.
  { name: 'add', inputs: x2(), fn: (a, b) => tf.add(a, b) },
  { name: 'add broadcast bias', inputs: [{ shape: B }, { shape: [8] }], fn: (a, b) => tf.add(a, b) },
  { name: 'sub', inputs: x2(), fn: (a, b) => tf.sub(a, b) },
  { name: 'mul', inputs: x2(), fn: (a, b) => tf.mul(a, b) },
  { name: 'mul broadcast [N,1,1,C]', inputs: [{ shape: B }, { shape: [2, 1, 1, 8] }], fn: (a, b) => tf.mul(a, b) },
  { name: 'div', inputs: x2('normal', 'positive'), fn: (a, b) => tf.div(a, b) },
  { name: 'neg', inputs: x1(), fn: (a) => tf.neg(a) },
  { name: 'square', inputs: x1(), fn: (a) => tf.square(a) },
  { name: 'sqrt', inputs: x1('positive'), fn: (a) => tf.sqrt(a) },
  { name: 'rsqrt', inputs: x1('positive'), fn: (a) => tf.rsqrt(a) },
  { name: 'exp', inputs: x1(), fn: (a) => tf.exp(a) },
  { name: 'log', inputs: x1('positive'), fn: (a) => tf.log(a) },
  { name: 'abs', inputs: x1('nonzero'), fn: (a) => tf.abs(a) },
  { name: 'squaredDifference', inputs: x2(), fn: (a, b) => tf.squaredDifference(a, b) },
  { name: 'maximum', inputs: x2(), fn: (a, b) => tf.maximum(a, b) },
  { name: 'minimum', inputs: x2(), fn: (a, b) => tf.minimum(a, b) },
  { name: 'pow scalar exponent', inputs: x1('positive'), fn: (a) => tf.pow(a, 1.7) },
  { name: 'pow tensor exponent', inputs: x2('positive', 'normal'), fn: (a, b) => tf.pow(a, b) },
  { name: 'sin', inputs: x1(), fn: (a) => tf.sin(a) },
  { name: 'cos', inputs: x1(), fn: (a) => tf.cos(a) },
  {
    // Sinusoidal timestep embedding: arguments up to ~1000.
    name: 'sin/cos timestep embedding',
    inputs: [{ shape: [16, 1], kind: 'positive' }, { shape: [1, 64], kind: 'positive' }],
    fn: (t, fr) => {
      // Only multiplies, which round identically everywhere, so every backend sees the same arguments.
      const arg = tf.mul(tf.mul(t, 100), fr);
      return tf.concat([tf.sin(arg), tf.cos(arg)], 1);
    },
  },
  { name: 'round', inputs: x1(), fn: (a) => tf.add(tf.round(tf.mul(a, 3)), a) },
  { name: 'floor', inputs: x1(), fn: (a) => tf.add(tf.floor(tf.mul(a, 3)), a) },
  { name: 'clipByValue', inputs: x1(), fn: (a) => tf.clipByValue(a, -0.5, 0.7) },
  { name: 'cast', inputs: x1(), fn: (a) => tf.add(a, tf.cast(tf.cast(tf.mul(a, 3), 'int32'), 'float32')) },
  { name: 'onesLike / zerosLike', inputs: x1(), fn: (a) => tf.add(tf.mul(a, tf.onesLike(a)), tf.zerosLike(a)) },
  // Activations.
  { name: 'relu', inputs: x1('nonzero'), fn: (a) => tf.relu(a) },
  { name: 'sigmoid', inputs: x1(), fn: (a) => tf.sigmoid(a) },
  { name: 'silu', inputs: x1(), fn: (a) => tf.mul(a, tf.sigmoid(a)) },
  { name: 'tanh', inputs: x1(), fn: (a) => tf.tanh(a) },
  { name: 'erf', inputs: x1(), fn: (a) => tf.erf(a) },
  { name: 'gelu (exact)', inputs: x1(), fn: gelu },
  { name: 'softmax', inputs: [{ shape: [2, 16, 64] }], fn: (a) => tf.softmax(a) },
  // Reductions and normalization.
  { name: 'sum axes [1,2]', inputs: x1(), fn: (a) => tf.sum(a, [1, 2]) },
  { name: 'sum all', inputs: x1(), fn: (a) => tf.sum(a) },
  // Bias gradients: sums over the leading axes.
  { name: 'sum axes [0,1,2]', inputs: x1(), fn: (a) => tf.sum(a, [0, 1, 2]) },
  { name: 'sum axis 0 keepDims', inputs: [{ shape: [40, 24] }], fn: (a) => tf.sum(a, 0, true) },
  { name: 'mean last keepDims', inputs: x1(), fn: (a) => tf.mul(a, tf.mean(a, -1, true)) },
  {
    name: 'moments',
    inputs: x1(),
    fn: (a) => {
      const { mean, variance } = tf.moments(a, [1, 2, 3]);
      return tf.concat([mean, variance]);
    },
  },
  {
    name: 'groupNorm (2 groups)',
    inputs: x1(),
    fn: (a) => {
      const g = tf.reshape(a, [2, 8, 8, 2, 4]);
      const { mean, variance } = tf.moments(g, [1, 2, 4], true);
      return tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, 1e-6))), B);
    },
  },
  {
    name: 'layerNorm',
    inputs: [{ shape: [2, 16, 32] }],
    fn: (a) => {
      const { mean, variance } = tf.moments(a, -1, true);
      return tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    },
  },
  // Shape ops.
  { name: 'concat', inputs: x2(), fn: (a, b) => tf.concat([a, tf.mul(b, 2)], 3) },
  {
    name: 'split',
    inputs: x1(),
    fn: (a) => {
      const [p, q] = tf.split(a, [3, 5], 3) as [tf.Tensor, tf.Tensor];
      return tf.concat([tf.square(p), tf.mul(q, 3)], 3);
    },
  },
  { name: 'slice', inputs: x1(), fn: (a) => tf.slice(a, [0, 1, 2, 0], [2, 5, 4, 8]) },
  { name: 'slice channels', inputs: x1(), fn: (a) => tf.slice(a, [0, 0, 0, 3], [2, 8, 8, 4]) },
  { name: 'concat 3 inputs axis 0', inputs: x2(), fn: (a, b) => tf.concat([a, tf.mul(b, 2), a], 0) },
  { name: 'reverse spatial (filter flip)', inputs: [{ shape: [3, 3, 8, 4] }], fn: (a) => tf.reverse(a, [0, 1]) },
  { name: 'reverse last axis', inputs: x1(), fn: (a) => tf.reverse(a, 3) },
  // tfjs-core has no StridedSlice gradient: the sliced input is not differentiated, the
  // factor is (its gradient is the slice again).
  {
    name: 'stridedSlice stride 2',
    inputs: [{ shape: B, diff: false }, { shape: [2, 4, 4, 8] }],
    fn: (a, b) => tf.mul(tf.stridedSlice(a, [0, 1, 0, 0], [2, 8, 8, 8], [1, 2, 2, 1]), b),
  },
  {
    name: 'stridedSlice negative stride',
    inputs: [{ shape: B, diff: false }, { shape: [2, 3, 3, 5] }],
    fn: (a, b) => tf.mul(tf.stridedSlice(a, [1, 7, 6, 5], [0, 0, 0, 0], [-1, -3, -2, -1], 0b0001, 0b0001), b),
  },
  {
    name: 'pad',
    inputs: x1(),
    fn: (a) =>
      tf.pad(a, [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ], 0.5),
  },
  { name: 'reshape + transpose', inputs: x1(), fn: (a) => tf.transpose(tf.reshape(a, [2, 64, 8]), [0, 2, 1]) },
  { name: 'transpose NHWC->NCHW', inputs: x1(), fn: (a) => tf.transpose(a, [0, 3, 1, 2]) },
  { name: 'tile', inputs: x1(), fn: (a) => tf.tile(a, [1, 2, 1, 2]) },
  { name: 'gather axis 1 (repeats)', inputs: [{ shape: B }, { shape: [6], kind: { int: 8 } }], fn: (a, i) => tf.gather(a, i, 1) },
  { name: 'gather axis 0 (embedding)', inputs: [{ shape: [10, 32] }, { shape: [3, 4], kind: { int: 10 } }], fn: (a, i) => tf.gather(a, i, 0) },
  { name: 'where', inputs: [{ shape: B, kind: 'bool' }, { shape: B }, { shape: B }], fn: (c, a, b) => tf.where(c, a, b) },
  { name: 'stack / unstack', inputs: x1(), fn: (a) => tf.stack(tf.unstack(a, 1).map((t, i) => tf.mul(t, i + 1)), 0) },
  // Resampling and padding modes.
  { name: 'resizeNearestNeighbor x2', inputs: x1(), fn: (a) => tf.image.resizeNearestNeighbor(f(a), [16, 16]) },
  { name: 'resizeNearestNeighbor half-pixel 8->12', inputs: x1(), fn: (a) => tf.image.resizeNearestNeighbor(f(a), [12, 12], false, true) },
  { name: 'resizeBilinear half-pixel', inputs: x1(), fn: (a) => tf.image.resizeBilinear(f(a), [12, 20], false, true) },
  { name: 'resizeBilinear alignCorners', inputs: x1(), fn: (a) => tf.image.resizeBilinear(f(a), [13, 5], true) },
  {
    name: 'mirrorPad reflect',
    inputs: x1(),
    fn: (a) =>
      tf.mirrorPad(a, [
        [0, 0],
        [2, 2],
        [1, 3],
        [0, 0],
      ], 'reflect'),
  },
  {
    name: 'mirrorPad symmetric',
    inputs: x1(),
    fn: (a) =>
      tf.mirrorPad(a, [
        [0, 0],
        [3, 1],
        [0, 2],
        [0, 0],
      ], 'symmetric'),
  },
  { name: 'cumsum', inputs: x1(), fn: (a) => tf.cumsum(a, 1) },
  { name: 'cumsum exclusive reverse', inputs: x1(), fn: (a) => tf.cumsum(a, 2, true, true) },
];

/** Forward and backward of one case; every tensor made here is disposed before returning. */
async function run(c: OpCase): Promise<Outcome> {
  const rand = mulberry32(hash(c.name));
  const data = c.inputs.map((i) => draw(rand, i.shape.reduce((a, b) => a * b, 1), i.kind ?? 'normal'));
  const cotSeed = hash(`${c.name}/cotangent`);
  const before = tf.memory().numTensors;
  const results = tf.tidy(() => {
    const xs = c.inputs.map((inp, i) => {
      const kind = inp.kind ?? 'normal';
      const dtype = kind === 'bool' ? 'bool' : typeof kind === 'object' ? 'int32' : 'float32';
      return tf.tensor(data[i] as Float32Array, inp.shape, dtype);
    });
    const diffAt = c.inputs.flatMap((inp, i) => ((inp.diff ?? (inp.kind === undefined || typeof inp.kind === 'string' && inp.kind !== 'bool')) ? [i] : []));
    const out = c.fn(...xs);
    const cot = tf.tensor(draw(mulberry32(cotSeed), out.size, 'normal') as Float32Array, out.shape);
    const grads = tf.grads((...d: tf.Tensor[]) => {
      const args = xs.map((x, i) => (diffAt.includes(i) ? (d[diffAt.indexOf(i)] as tf.Tensor) : x));
      return tf.sum(tf.mul(c.fn(...args), cot));
    })(diffAt.map((i) => xs[i] as tf.Tensor));
    return [out, ...grads];
  });
  const values = await Promise.all(results.map(async (t) => Float32Array.from(await t.data())));
  const shapes = results.map((t) => [...t.shape]);
  tf.dispose(results);
  expect(tf.memory().numTensors, `${c.name}: tensors left behind`).toBe(before);
  return { shapes, values };
}

/** Max abs difference over max abs expected (0 when both are all zeros). */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)));
    scale = Math.max(scale, Math.abs(expected[i] ?? 0));
  }
  if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
  return scale === 0 ? diff : diff / scale;
}

const reference = new Map<string, Outcome>();

beforeAll(async () => {
  await useBackend('cpu');
  for (const c of CASES) reference.set(c.name, await run(c));
});

function compare(c: OpCase, got: Outcome): number {
  const want = reference.get(c.name);
  if (want === undefined) throw new Error(`no cpu reference for ${c.name}`);
  expect(got.shapes).toEqual(want.shapes);
  let worst = 0;
  got.values.forEach((v, i) => {
    const err = relativeError(v, want.values[i] as Float32Array);
    expect(err, `${c.name}: ${i === 0 ? 'value' : `gradient ${i - 1}`} rel. error`).toBeLessThanOrEqual(TOLERANCE);
    worst = Math.max(worst, err);
  });
  return worst;
}

const summary: Record<string, number> = {};

describe.each(['wasm', 'webgpu'] as const)('%s against cpu', (backend: BackendName) => {
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

  test.for(CASES)('$name', async (c, ctx) => {
    if (skipReason !== undefined) ctx.skip(`webgpu unavailable: ${skipReason}`);
    await useBackend(backend);
    const worst = compare(c, await run(c));
    summary[`${backend} ${c.name}`] = worst;
  });

  // Runs after the cases (same file, in order): every case must have been compared, so this
  // fails where a case was skipped or filtered away instead of passing on nothing.
  test('summary: every case compared within tolerance', (ctx) => {
    if (skipReason !== undefined) ctx.skip(`webgpu unavailable: ${skipReason}`);
    const entries = Object.entries(summary).filter(([k]) => k.startsWith(`${backend} `));
    const worst = entries.reduce((m, [, v]) => Math.max(m, v), 0);
    console.log(`${backend}: ${entries.length} cases, worst rel. error ${worst.toExponential(2)} (tolerance ${TOLERANCE})`);
    expect(entries.map(([k]) => k.slice(backend.length + 1)).sort()).toEqual(CASES.map((c) => c.name).sort());
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });
});
