// Learning-rate schedules, gradient clipping, EMA and gradient accumulation.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createRng, useBackend } from '@yonos/core';
import {
  Ema,
  GradientAccumulator,
  OptimizerStateError,
  TrainingArgumentError,
  clipGradNorm,
  constantLr,
  cosineLr,
  createLrSchedule,
  emaDecay,
  globalGradNorm,
  linearLr,
  namedVariables,
} from '../src/index.js';
import { TinyConvNet } from './helpers/tiny-model.js';
import { bitDifferences, maxAbsDiff, weightsOf } from './helpers/tensors.js';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('LR schedules', () => {
  test('cosine with warmup hits the closed-form points', () => {
    const s = cosineLr(2, { warmupSteps: 10, totalSteps: 110 });
    expect(s(0)).toBe(0);
    expect(s(5)).toBe(1);
    expect(s(10)).toBe(2);
    expect(s(60)).toBeCloseTo(1, 14); // half-way: cos(pi/2) = 0
    expect(s(35)).toBeCloseTo(1 + Math.SQRT1_2, 14); // a quarter: cos(pi/4)
    expect(s(110)).toBeCloseTo(0, 14);
    const full = cosineLr(1, { totalSteps: 100, numCycles: 1 });
    expect(full(50)).toBeCloseTo(0, 14);
    expect(full(100)).toBeCloseTo(1, 14);
  });

  test('linear and constant schedules; names as diffusers spells them', () => {
    expect(linearLr(1, { warmupSteps: 10, totalSteps: 110 })(60)).toBeCloseTo(0.5, 14);
    expect(linearLr(1, { warmupSteps: 10, totalSteps: 110 })(200)).toBe(0);
    expect(constantLr(3, { warmupSteps: 4 })(1)).toBe(0.75);
    expect(constantLr(3, { warmupSteps: 4 })(4)).toBe(3);
    expect(createLrSchedule('constant', 3, { warmupSteps: 4 })(0)).toBe(3);
    expect(createLrSchedule('cosine', 1, { totalSteps: 10 })(5)).toBeCloseTo(0.5, 14);
    expect(() => createLrSchedule('cosine', 1)).toThrow(/totalSteps/);
    expect(() => createLrSchedule('bogus' as 'linear', 1)).toThrow(TrainingArgumentError);
    expect(() => constantLr(1)(-1)).toThrow(/non-negative integer/);
  });
});

describe('gradient clipping', () => {
  test('global norm and scaling match host math; below the limit the gradients are unchanged; leak-free', async () => {
    const rng = createRng(9);
    const a = rng.normalArray(12, 0, 3);
    const b = rng.normalArray(5, 0, 3);
    const grads = new Map<string, tf.Tensor | null>([
      ['a', tf.tensor(a, [3, 4])],
      ['b', tf.tensor(b)],
      ['frozen', null],
    ]);
    let sq = 0;
    for (const v of [...a, ...b]) sq += v * v;
    const norm = Math.sqrt(sq);
    const before = tf.memory().numTensors;

    const n = globalGradNorm(grads);
    expect(Math.abs((await n.data())[0]! - norm) / norm).toBeLessThan(1e-6);
    n.dispose();

    const clipped = clipGradNorm(grads, 1);
    expect([...clipped.grads.keys()]).toEqual(['a', 'b']);
    expect(Math.abs((await clipped.norm.data())[0]! - norm) / norm).toBeLessThan(1e-6);
    const factor = 1 / (norm + 1e-6);
    expect(maxAbsDiff(await clipped.grads.get('a')!.data(), Array.from(a, (v) => v * factor))).toBeLessThan(1e-6);
    let after = 0;
    for (const g of clipped.grads.values()) for (const v of await g.data()) after += v * v;
    expect(Math.sqrt(after)).toBeCloseTo(1, 5);
    tf.dispose([...clipped.grads.values(), clipped.norm]);

    const loose = clipGradNorm(grads, norm * 2);
    expect(bitDifferences(new Map([['a', (await loose.grads.get('a')!.data()) as Float32Array]]), new Map([['a', a]]))).toBe(0);
    tf.dispose([...loose.grads.values(), loose.norm]);

    expect(tf.memory().numTensors).toBe(before);
    expect(() => clipGradNorm(grads, 0)).toThrow(TrainingArgumentError);
    tf.dispose([...grads.values()].filter((g): g is tf.Tensor => g !== null));
  });
});

describe('EMA', () => {
  test('decay follows diffusers EMAModel.get_decay', () => {
    expect(emaDecay(1)).toBe(0);
    expect(emaDecay(2)).toBe(2 / 11);
    expect(emaDecay(100)).toBe(100 / 109);
    expect(emaDecay(100, { decay: 0.5 })).toBe(0.5);
    expect(emaDecay(4, { updateAfterStep: 3 })).toBe(0);
    expect(emaDecay(5, { updateAfterStep: 3 })).toBe(2 / 11);
    expect(emaDecay(10, { useEmaWarmup: true })).toBeCloseTo(1 - 10 ** (-2 / 3), 15);
    expect(emaDecay(10, { useEmaWarmup: true, invGamma: 2, power: 1 })).toBeCloseTo(1 - 1 / 5.5, 15);
    expect(emaDecay(2, { minDecay: 0.3 })).toBe(0.3);
    expect(() => emaDecay(2, { decay: 2 })).toThrow(TrainingArgumentError);
  });

  test('update math vs a float64 recurrence; frozen parameters are copied; copyTo / withAveraged; exact state round-trip; leak-free', async () => {
    const before = tf.memory().numTensors;
    const model = new TinyConvNet({ dropout: 0 }).initialize(createRng(1));
    model.conv_out.bias!.trainable = false;
    const ema = new Ema(model, { decay: 0.8 });
    const ref = new Map([...(await weightsOf(model))].map(([n, w]) => [n, Float64Array.from(w)]));
    const rng = createRng(2);
    for (let k = 1; k <= 5; k++) {
      for (const [, p] of model.namedParameters()) {
        const next = tf.tidy(() => tf.add(p.value, rng.normal(p.shape)));
        p.assign(next);
        next.dispose();
      }
      ema.update();
      const d = emaDecay(k, { decay: 0.8 });
      expect(ema.currentDecay).toBe(d);
      const now = await weightsOf(model);
      for (const [name, p] of model.namedParameters()) {
        const r = ref.get(name)!;
        const w = now.get(name)!;
        for (let i = 0; i < r.length; i++) r[i] = p.trainable ? r[i]! - (1 - d) * (r[i]! - w[i]!) : w[i]!;
      }
    }
    const training = await weightsOf(model);
    let worst = 0;
    const averaged = await ema.withAveraged(async () => weightsOf(model));
    for (const [name, r] of ref) worst = Math.max(worst, maxAbsDiff(averaged.get(name)!, r));
    expect(worst).toBeLessThan(2e-6);
    console.info(`EMA vs float64 recurrence: max |diff| = ${worst.toExponential(2)} (tolerance 2e-6)`);
    // The frozen bias is copied, not averaged.
    expect(bitDifferences(new Map([['b', averaged.get('conv_out.bias')!]]), new Map([['b', training.get('conv_out.bias')!]]))).toBe(0);
    expect(bitDifferences(await weightsOf(model), training)).toBe(0); // restored

    const other = new TinyConvNet({ dropout: 0 }).initialize(createRng(5));
    const ema2 = new Ema(other, { decay: 0.8 });
    const state = ema.exportState();
    await ema2.importState(state);
    tf.dispose([...state.values()]);
    expect(ema2.optimizationStep).toBe(5);
    ema.copyTo(model);
    ema2.copyTo(other);
    expect(bitDifferences(await weightsOf(model), await weightsOf(other))).toBe(0);

    const bad = new Map([['shadow/conv_in.weight', tf.zeros([1])]]);
    await expect(ema2.importState(bad)).rejects.toThrow(OptimizerStateError);
    tf.dispose([...bad.values()]);
    for (const x of [model, other, ema, ema2]) x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('gradient accumulation', () => {
  test('two micro-batches of 2 == one batch of 4 (float32 rounding); one micro-batch == plain variableGrads bit for bit', async () => {
    const model = new TinyConvNet({ dropout: 0 }).initialize(createRng(3));
    const vars = namedVariables(model);
    const rng = createRng(4);
    const x = rng.normal([4, 8, 8, 3]) as tf.Tensor4D;
    const y = rng.normal([4, 8, 8, 3]) as tf.Tensor4D;
    const loss = (xs: tf.Tensor4D, ys: tf.Tensor4D) => () => tf.mean(tf.square(tf.sub(model.forward(xs), ys))) as tf.Scalar;
    const halves = [0, 2].map((s) => [tf.slice(x, [s], [2]), tf.slice(y, [s], [2])] as [tf.Tensor4D, tf.Tensor4D]);

    const before = tf.memory().numTensors;
    const acc = new GradientAccumulator(vars);
    acc.add(loss(x, y));
    const whole = acc.take();
    for (const [xs, ys] of halves) acc.add(loss(xs, ys));
    expect(acc.count).toBe(2);
    const split = acc.take();
    expect(split.count).toBe(2);
    let worst = 0;
    let scale = 0;
    for (const [name, g] of whole.grads) {
      const a = await g.data();
      worst = Math.max(worst, maxAbsDiff(a, await split.grads.get(name)!.data()));
      for (const v of a) scale = Math.max(scale, Math.abs(v));
    }
    expect(worst / scale).toBeLessThan(1e-5);
    expect(Math.abs((await whole.loss.data())[0]! - (await split.loss.data())[0]!)).toBeLessThan(1e-6);
    console.info(`accumulation: max |diff| / max |g| = ${(worst / scale).toExponential(2)} (tolerance 1e-5)`);

    const plain = tf.variableGrads(loss(x, y), [...vars.values()]);
    const names = new Map([...vars].map(([n, v]) => [v.name, n]));
    const host = async (m: Iterable<[string, tf.Tensor]>) => new Map(await Promise.all([...m].map(async ([n, t]) => [n, (await t.data()) as Float32Array] as const)));
    const plainHost = await host(Object.entries(plain.grads).map(([k, t]) => [names.get(k)!, t] as [string, tf.Tensor]));
    expect(bitDifferences(plainHost, await host(whole.grads))).toBe(0);
    tf.dispose([plain.value, ...Object.values(plain.grads)]);

    tf.dispose([whole.loss, split.loss, ...whole.grads.values(), ...split.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => acc.take()).toThrow(TrainingArgumentError);
    tf.dispose([x, y, ...halves.flat()]);
    model.dispose();
  });
});
