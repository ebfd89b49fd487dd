// GroupNorm and LayerNorm run with hand-written gradients (tf.customGrad) for speed: their
// values and every gradient (input, weight, bias) against float64 host references and
// central differences of them, over ranks, group counts, affine or not, large means; leaks.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { Conv2d, GroupNorm, LayerNorm } from '../src/nn/index.js';
import type { Module } from '../src/nn/index.js';
import { createRng } from '../src/random/index.js';
import { conv2dHost, groupNormHost, host, layerNormHost, relError } from './nn-host.js';
import type { HostTensor } from './nn-host.js';

// Same tolerances as the layer tests: float32 forward vs float64 to 1e-5, gradients vs
// central differences (h = 1e-5 in float64) to 1e-4.
const TOL = 1e-5;
const GRAD_TOL = 1e-4;

const rng = createRng('perf-layers');

interface Norm {
  readonly module: Module & { readonly weight: { value: tf.Variable } | null; readonly bias: { value: tf.Variable } | null };
  /** The float64 reference with explicit (host) parameters. */
  readonly reference: (x: HostTensor, weight: HostTensor | null, bias: HostTensor | null) => HostTensor;
  readonly forward: (x: tf.Tensor) => tf.Tensor;
}

const toHost = (t: tf.Tensor): HostTensor => host([...t.shape], t.dataSync());

/** Central differences of `f` at every element of `at` (a copy is perturbed). */
function numericGrad(at: HostTensor, f: (p: HostTensor) => number, h = 1e-5): Float64Array {
  return at.data.map((_, i) => {
    const plus = host(at.shape, at.data);
    const minus = host(at.shape, at.data);
    plus.data[i]! += h;
    minus.data[i]! -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** Checks forward values and the gradients of `sum(forward(x) * cot)` for x, weight and bias. */
function checkNorm(norm: Norm, shape: number[], offset: number): void {
  const before = tf.memory().numTensors;
  const x = tf.tidy(() => tf.add(rng.uniform(shape, -1, 1), offset));
  const cot = rng.uniform(shape, -1, 1);
  const hx = toHost(x);
  const hcot = toHost(cot);
  const w = norm.module.weight === null ? null : toHost(norm.module.weight.value);
  const b = norm.module.bias === null ? null : toHost(norm.module.bias.value);

  const y = norm.forward(x);
  expect(relError(y.dataSync(), norm.reference(hx, w, b).data), 'forward').toBeLessThan(TOL);
  y.dispose();

  const loss = (px: HostTensor, pw: HostTensor | null, pb: HostTensor | null): number =>
    norm.reference(px, pw, pb).data.reduce((acc, v, i) => acc + v * hcot.data[i]!, 0);
  const vars = norm.module.trainableVariables();
  const { value, grads } =
    vars.length > 0
      ? tf.variableGrads(() => tf.sum(tf.mul(norm.forward(x), cot)) as tf.Scalar, vars)
      : { value: tf.scalar(0), grads: {} as tf.NamedTensorMap };
  const gx = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(norm.forward(inp), cot)))(x);
  expect(relError(gx.dataSync(), numericGrad(hx, (p) => loss(p, w, b))), 'dL/dx').toBeLessThan(GRAD_TOL);
  if (w !== null) {
    const gw = grads[norm.module.weight!.value.name]!;
    expect(relError(gw.dataSync(), numericGrad(w, (p) => loss(hx, p, b))), 'dL/dweight').toBeLessThan(GRAD_TOL);
  }
  if (b !== null) {
    const gb = grads[norm.module.bias!.value.name]!;
    expect(relError(gb.dataSync(), numericGrad(b, (p) => loss(hx, w, p))), 'dL/dbias').toBeLessThan(GRAD_TOL);
  }
  tf.dispose([value, gx, ...Object.values(grads), x, cot]);
  expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
}

/** Non-trivial affine parameters (scale around 1, shift around 0). */
function randomizeAffine(m: Module): void {
  for (const [name, p] of m.namedParameters()) {
    const v = tf.tidy(() => tf.add(rng.fork(name).uniform(p.shape, -0.5, 0.5), name.endsWith('weight') ? 1 : 0));
    p.assign(v);
    v.dispose();
  }
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('GroupNorm (hand-written gradient)', () => {
  const cases: Array<{ shape: number[]; groups: number; affine: boolean; offset: number }> = [
    { shape: [2, 3, 4, 8], groups: 4, affine: true, offset: 5 },
    { shape: [2, 3, 4, 8], groups: 4, affine: false, offset: 0 },
    { shape: [3, 5, 6], groups: 2, affine: true, offset: -3 },
    // [N, C] input: each group normalizes its channels alone (two channels would make a sign
    // function with a zero gradient, so four).
    { shape: [4, 12], groups: 3, affine: true, offset: 1 },
    { shape: [1, 2, 2, 4], groups: 4, affine: true, offset: 0 },
    { shape: [2, 3, 3, 4], groups: 1, affine: true, offset: 2 },
  ];
  it.each(cases)('$shape, $groups groups, affine $affine, mean offset $offset', ({ shape, groups, affine, offset }) => {
    const eps = 1e-6;
    const gn = new GroupNorm(groups, shape[shape.length - 1]!, { eps, affine }).initialize(rng);
    randomizeAffine(gn);
    checkNorm(
      { module: gn, reference: (x, w, b) => groupNormHost(x, groups, eps, w, b), forward: (x) => gn.forward(x) },
      shape,
      offset,
    );
    gn.dispose();
  });

  it('computes in float32 from another float dtype input', () => {
    const gn = new GroupNorm(2, 4).initialize(rng);
    const x = tf.cast(tf.reshape(tf.range(0, 16), [1, 2, 2, 4]), 'int32');
    const y = gn.forward(x);
    expect(y.dtype).toBe('float32');
    expect(relError(y.dataSync(), groupNormHost(toHost(x), 2, 1e-5, toHost(gn.weight!.value), toHost(gn.bias!.value)).data)).toBeLessThan(TOL);
    tf.dispose([x, y]);
    gn.dispose();
  });
});

describe('LayerNorm (hand-written gradient)', () => {
  const cases: Array<{ shape: number[]; affine: boolean; bias: boolean; offset: number }> = [
    { shape: [2, 5, 6], affine: true, bias: true, offset: 3 },
    { shape: [2, 5, 6], affine: false, bias: true, offset: 0 },
    { shape: [3, 8], affine: true, bias: false, offset: -2 },
    { shape: [7], affine: true, bias: true, offset: 1 },
    { shape: [2, 2, 3, 5], affine: true, bias: true, offset: 0 },
  ];
  it.each(cases)('$shape, affine $affine, bias $bias, mean offset $offset', ({ shape, affine, bias, offset }) => {
    const eps = 1e-5;
    const ln = new LayerNorm(shape[shape.length - 1]!, { eps, elementwise_affine: affine, bias }).initialize(rng);
    randomizeAffine(ln);
    checkNorm({ module: ln, reference: (x, w, b) => layerNormHost(x, eps, w, b), forward: (x) => ln.forward(x) }, shape, offset);
    ln.dispose();
  });
});

describe('Conv2d with symmetric padding and a non-square kernel or stride', () => {
  // Equal pads on all sides used to go to tfjs as one number, which tfjs sizes from the
  // filter height and row stride alone: wrong output widths (and heap overruns on wasm).
  it.each([
    { kernel: [1, 3] as [number, number], stride: 1 },
    { kernel: [3, 1] as [number, number], stride: 1 },
    { kernel: [3, 3] as [number, number], stride: [2, 1] as [number, number] },
  ])('kernel $kernel, stride $stride, padding 1, on cpu and wasm', async ({ kernel, stride }) => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const conv = new Conv2d(3, 4, kernel, { padding: 1, stride }).initialize(rng);
      const x = rng.uniform([2, 5, 7, 3], -1, 1) as tf.Tensor4D;
      const sd = conv.stateDict({ layout: 'torch' });
      const s: [number, number] = typeof stride === 'number' ? [stride, stride] : stride;
      const ref = conv2dHost(toHost(x), toHost(sd.get('weight')!), toHost(sd.get('bias')!), s, [
        [1, 1],
        [1, 1],
      ]);
      const before = tf.memory().numTensors;
      const y = conv.forward(x);
      expect(y.shape, backend).toEqual(ref.shape);
      expect(relError(y.dataSync(), ref.data), backend).toBeLessThan(TOL);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, ...sd.values()]);
      conv.dispose();
    }
    await useBackend('cpu');
  });
});
