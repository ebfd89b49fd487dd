// AdamW against a float64 host implementation of torch.optim.AdamW's update rule.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createRng, useBackend } from '@yonos/core';
import { AdamW, OptimizerStateError, TrainingArgumentError } from '../src/index.js';
import { bitDifferences, maxAbsDiff } from './helpers/tensors.js';

beforeAll(async () => {
  await useBackend('cpu');
});

interface RefSlot {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

/** torch.optim.AdamW (amsgrad off), one variable, float64. */
function referenceStep(
  p: Float64Array,
  g: ArrayLike<number>,
  slot: RefSlot,
  o: { lr: number; b1: number; b2: number; eps: number; wd: number },
): void {
  slot.t += 1;
  const bc1 = 1 - o.b1 ** slot.t;
  const bc2 = 1 - o.b2 ** slot.t;
  for (let i = 0; i < p.length; i++) {
    p[i] = p[i]! * (1 - o.lr * o.wd);
    slot.m[i] = o.b1 * slot.m[i]! + (1 - o.b1) * g[i]!;
    slot.v[i] = o.b2 * slot.v[i]! + (1 - o.b2) * g[i]! * g[i]!;
    const mHat = slot.m[i]! / bc1;
    const vHat = slot.v[i]! / bc2;
    p[i] = p[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
  }
}

const SHAPES: Record<string, number[]> = { w: [3, 4], b: [4] };

function makeVariables(seed: number): Map<string, tf.Variable> {
  const rng = createRng(seed);
  return new Map(Object.entries(SHAPES).map(([name, shape]) => [name, tf.tidy(() => tf.variable(rng.normal(shape)))]));
}

/** Gradients of step `k` (scaled so later steps are small, to exercise eps and bias correction). */
function gradArrays(k: number): Map<string, Float32Array> {
  const rng = createRng(100 + k);
  const scale = 10 ** -(k % 4);
  return new Map(Object.entries(SHAPES).map(([name, shape]) => [name, rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, scale)]));
}

describe('AdamW', () => {
  test('matches a float64 torch.optim.AdamW reference over steps with changing lr, no-decay names and skipped gradients', async () => {
    const vars = makeVariables(1);
    const hyper = { b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0.1 };
    const opt = new AdamW(vars, { lr: 0.1, betas: [hyper.b1, hyper.b2], eps: hyper.eps, weightDecay: hyper.wd, noWeightDecay: (n) => n === 'b' });
    const ref = new Map<string, { p: Float64Array; slot: RefSlot }>();
    for (const [name, v] of vars) {
      const p = Float64Array.from(await v.data());
      ref.set(name, { p, slot: { m: new Float64Array(p.length), v: new Float64Array(p.length), t: 0 } });
    }
    const lrs = [0.1, 0.05, 0.02, 0.01, 0.003, 0.001];
    let worst = 0;
    for (let k = 0; k < lrs.length; k++) {
      const arrays = gradArrays(k);
      if (k === 2) arrays.delete('b'); // b has no gradient in step 2: untouched, its step count stays.
      const grads = new Map([...arrays].map(([n, a]) => [n, tf.tensor(a, SHAPES[n])]));
      opt.lr = lrs[k]!;
      const before = tf.memory().numTensors;
      opt.step(grads);
      if (k > 0) expect(tf.memory().numTensors).toBe(before);
      tf.dispose([...grads.values()]);
      for (const [name, a] of arrays) {
        const r = ref.get(name)!;
        referenceStep(r.p, a, r.slot, { ...hyper, lr: lrs[k]!, wd: name === 'b' ? 0 : hyper.wd });
      }
      for (const [name, v] of vars) worst = Math.max(worst, maxAbsDiff(await v.data(), ref.get(name)!.p));
    }
    expect(opt.stepCount('w')).toBe(6);
    expect(opt.stepCount('b')).toBe(5);
    // float32 vs float64 on values of order 1.
    expect(worst).toBeLessThan(2e-6);
    console.info(`AdamW vs float64 reference: max |diff| = ${worst.toExponential(2)} (tolerance 2e-6)`);
    opt.dispose();
    tf.dispose([...vars.values()]);
  });

  test('exportState/importState round-trip continues bit-identically; leak-free', async () => {
    const before = tf.memory().numTensors;
    const a = makeVariables(3);
    const b = makeVariables(3);
    const optA = new AdamW(a, { lr: 0.01 });
    const optB = new AdamW(b, { lr: 0.01 });
    const feed = (opt: AdamW, k: number): void => {
      const grads = new Map([...gradArrays(k)].map(([n, g]) => [n, tf.tensor(g, SHAPES[n])]));
      opt.step(grads);
      tf.dispose([...grads.values()]);
    };
    for (let k = 0; k < 3; k++) feed(optA, k);
    for (const [n, v] of a) b.get(n)!.assign(v);
    const state = optA.exportState();
    expect([...state.keys()].sort()).toEqual(['exp_avg/b', 'exp_avg/w', 'exp_avg_sq/b', 'exp_avg_sq/w', 'step/b', 'step/w']);
    expect(state.get('step/w')!.dtype).toBe('int32');
    await optB.importState(state);
    tf.dispose([...state.values()]);
    for (let k = 3; k < 6; k++) {
      feed(optA, k);
      feed(optB, k);
    }
    const host = async (m: Map<string, tf.Variable>) => new Map(await Promise.all([...m].map(async ([n, v]) => [n, (await v.data()) as Float32Array] as const)));
    expect(bitDifferences(await host(a), await host(b))).toBe(0);
    optA.dispose();
    optB.dispose();
    tf.dispose([...a.values(), ...b.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('typed errors: unknown or mis-shaped gradients, bad state, bad hyperparameters', async () => {
    const vars = makeVariables(5);
    const opt = new AdamW(vars);
    const g = tf.zeros([2]);
    expect(() => opt.step(new Map([['nope', g]]))).toThrow(TrainingArgumentError);
    expect(() => opt.step(new Map([['b', g]]))).toThrow(/shape \[2\], the variable \[4\]/);
    await expect(opt.importState(new Map([['exp_avg/nope', g]]))).rejects.toThrow(OptimizerStateError);
    await expect(opt.importState(new Map([['exp_avg/b', g]]))).rejects.toThrow(/mis-shaped/);
    const m = tf.zeros([4]);
    await expect(opt.importState(new Map([['exp_avg/b', m]]))).rejects.toThrow(/incomplete/);
    expect(() => new AdamW(vars, { betas: [1, 0.9] })).toThrow(TrainingArgumentError);
    expect(() => new AdamW(vars, { lr: -1 })).toThrow(/lr must be >= 0/);
    tf.dispose([g, m, ...vars.values()]);
  });
});
