import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@yonos/core';
import type { PredictionType } from '@yonos/core';
import { PREDICTION_TYPES, SchedulerUsageError } from '../src/index.js';
import {
  epsilonFromV,
  epsilonFromX0,
  noisySampleFrom,
  predictionTarget,
  predictionToEpsilon,
  predictionToX0,
  vFrom,
  x0FromEpsilon,
  x0FromV,
} from '../src/schedulers/index.js';
import { at, leakedBy, maxAbsDiff } from './helpers.js';

// Round trips through a few float32 ops on values |x| < 6 with 1/sqrt(abar) <= 1/sqrt(0.3):
// a handful of float32 ulps (~5e-7 each at that magnitude).
const TOL = 1e-5;
const ABAR = 0.3;

let x0: tf.Tensor;
let eps: tf.Tensor;
let xt: tf.Tensor;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const rng = createRng('prediction-test');
  x0 = rng.normal([2, 4, 4, 3]);
  eps = rng.normal([2, 4, 4, 3]);
  xt = noisySampleFrom(x0, eps, ABAR);
});

afterAll(() => tf.dispose([x0, eps, xt]));

describe('conversions between x0, epsilon and v', () => {
  it('noisySampleFrom and vFrom follow their float64 formulas', () => {
    const v = vFrom(x0, eps, ABAR);
    const [x, e, t, vv] = [x0.dataSync(), eps.dataSync(), xt.dataSync(), v.dataSync()];
    const a = Math.sqrt(ABAR);
    const b = Math.sqrt(1 - ABAR);
    expect(maxAbsDiff(t, Array.from(x, (xi, i) => a * xi + b * at(e, i)))).toBeLessThan(TOL);
    expect(maxAbsDiff(vv, Array.from(x, (xi, i) => a * at(e, i) - b * xi))).toBeLessThan(TOL);
    v.dispose();
  });

  it('every inverse recovers x0 and epsilon', () => {
    const v = vFrom(x0, eps, ABAR);
    const cases: [string, tf.Tensor, tf.Tensor][] = [
      ['x0FromEpsilon', x0FromEpsilon(xt, eps, ABAR), x0],
      ['x0FromV', x0FromV(xt, v, ABAR), x0],
      ['epsilonFromX0', epsilonFromX0(xt, x0, ABAR), eps],
      ['epsilonFromV', epsilonFromV(xt, v, ABAR), eps],
    ];
    for (const [name, got, want] of cases) {
      expect(maxAbsDiff(got.dataSync(), want.dataSync()), name).toBeLessThan(TOL);
    }
    tf.dispose([v, ...cases.map((c) => c[1])]);
  });

  for (const type of PREDICTION_TYPES) {
    it(`predictionTarget / predictionToX0 / predictionToEpsilon agree for ${type}`, () => {
      const target = predictionTarget(type, x0, eps, ABAR);
      const gotX0 = predictionToX0(type, target, xt, ABAR);
      const gotEps = predictionToEpsilon(type, target, xt, ABAR);
      expect(maxAbsDiff(gotX0.dataSync(), x0.dataSync())).toBeLessThan(TOL);
      expect(maxAbsDiff(gotEps.dataSync(), eps.dataSync())).toBeLessThan(TOL);
      // Outputs are new tensors even when they equal an input.
      expect(gotX0).not.toBe(target);
      expect(gotEps).not.toBe(target);
      tf.dispose([target, gotX0, gotEps]);
      expect(target.isDisposed).toBe(true);
      expect(x0.isDisposed || eps.isDisposed).toBe(false);
    });
  }

  it('accepts per-item alpha_bar tensors that broadcast over the batch', () => {
    const abar = tf.tensor4d([0.3, 0.9], [2, 1, 1, 1]);
    const batched = vFrom(x0, eps, abar);
    const items = [0.3, 0.9].map((a, i) => {
      const [xi, ei] = [tf.slice(x0, i, 1), tf.slice(eps, i, 1)];
      const r = vFrom(xi, ei, a);
      tf.dispose([xi, ei]);
      return r;
    });
    const joined = tf.concat(items, 0);
    expect(maxAbsDiff(batched.dataSync(), joined.dataSync())).toBeLessThan(1e-6);
    const noisy = noisySampleFrom(x0, eps, abar);
    const back = x0FromV(noisy, batched, abar);
    expect(maxAbsDiff(back.dataSync(), x0.dataSync())).toBeLessThan(TOL);
    tf.dispose([abar, batched, joined, noisy, back, ...items]);
  });
});

describe('validation and memory', () => {
  it('rejects alpha_bar outside [0, 1], mismatched shapes and unknown types', () => {
    expect(() => vFrom(x0, eps, 1.5)).toThrow(SchedulerUsageError);
    expect(() => vFrom(x0, eps, Number.NaN)).toThrow(/\[0, 1\]/);
    const other = tf.zeros([1, 4, 4, 3]);
    expect(() => x0FromV(xt, other, ABAR)).toThrow(/same shape/);
    expect(() => predictionToX0('sample', other, xt, ABAR)).toThrow(/same shape/);
    expect(() => predictionToX0('x0' as PredictionType, eps, xt, ABAR)).toThrow(/predictionType/);
    other.dispose();
  });

  it('leaks no tensors, on success or failure', () => {
    const abar = tf.fill([2, 1, 1, 1], 0.5);
    const fns: (() => tf.Tensor)[] = [
      () => x0FromEpsilon(xt, eps, ABAR),
      () => x0FromV(xt, eps, abar),
      () => epsilonFromX0(xt, x0, ABAR),
      () => epsilonFromV(xt, eps, abar),
      () => vFrom(x0, eps, abar),
      () => noisySampleFrom(x0, eps, ABAR),
      ...PREDICTION_TYPES.flatMap((t) => [
        () => predictionToX0(t, eps, xt, abar),
        () => predictionToEpsilon(t, eps, xt, ABAR),
        () => predictionTarget(t, x0, eps, abar),
      ]),
    ];
    for (const fn of fns) expect(leakedBy(fn)).toBe(0);
    const before = tf.memory().numTensors;
    expect(() => vFrom(x0, eps, 2)).toThrow();
    expect(tf.memory().numTensors).toBe(before);
    abar.dispose();
  });
});
