// The pixel term of the diffusion stages (loss.pixel_weight): the x_0 a prediction implies, the
// decoded-image L1 it adds to the loss (checked against an independent computation), the
// teacher's decoded estimate as the distillation target (zero term when the student matches the
// teacher, residual or not), gradients that reach the U-Net only, no leaks, and its config key.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createRng, useBackend } from '@yonos/core';
import { TrainingArgumentError, TrainingConfigError, createDistillStage, createSrStage, diffusionLossOptions, parseTrainConfig, runStage } from '../src/index.js';
import { checkPixelWeight, impliedX0, pixelLoss, pixelTermBatch } from '../src/stages/index.js';
import type { DiffusionBatch, StepContext } from '../src/index.js';
import type { TrainingScheduler } from '../src/stages/index.js';
import { FixedBatches, MINIMAL_SR_CONFIG, TestScheduler, changedNames, makeCodec, makeDenoiser, makePoolPair, maxAbsDiff, poolDegradation, weightsOf } from './stages-fixtures.js';

beforeAll(async () => {
  await useBackend('cpu');
});

function ctxFor(step: number, seed = 5): StepContext {
  return { step, micro: 0, microBatchIndex: step, rng: createRng(seed).fork(`step:${step}:0`) };
}

describe('impliedX0', () => {
  test('recovers z_0 from the exact prediction of every type, per item timestep', async () => {
    const rng = createRng(1);
    const t = [999, 500, 20];
    const z0 = rng.fork('z0').normal([3, 4, 4, 2]) as tf.Tensor4D;
    const noise = rng.fork('noise').normal([3, 4, 4, 2]) as tf.Tensor4D;
    for (const type of ['v_prediction', 'epsilon', 'sample'] as const) {
      const scheduler = new TestScheduler(type);
      const zt = scheduler.addNoise(z0, noise, t) as tf.Tensor4D;
      const exact = type === 'v_prediction' ? (scheduler.getVelocity(z0, noise, t) as tf.Tensor4D) : type === 'epsilon' ? tf.clone(noise) : tf.clone(z0);
      const pixel = pixelTermBatch(scheduler, tf.zeros([3, 4, 4, 3]), t, {});
      const x0 = impliedX0(type, zt, exact, pixel.sqrtAlphaBar, pixel.sqrtOneMinusAlphaBar);
      expect(await maxAbsDiff(x0, z0)).toBeLessThan(1e-4);
      // A wrong prediction gives a different x_0 (the test can fail).
      const off = impliedX0(type, zt, tf.add(exact, 0.5) as tf.Tensor4D, pixel.sqrtAlphaBar, pixel.sqrtOneMinusAlphaBar);
      expect(await maxAbsDiff(off, z0)).toBeGreaterThan(0.1);
      tf.dispose([zt, exact, pixel, x0, off]);
    }
    tf.dispose([z0, noise]);
  });
});

describe('SR stage with a pixel term', () => {
  test('adds pixelWeight x the mixture-weighted L1 of the decoded x_0 estimate against the HR crop', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser(2, null);
    const scheduler = new TestScheduler();
    const data = new FixedBatches(8, 16);
    const common = { codec, unet, scheduler, data, degradation: poolDegradation, scale: 2, residual: true, weighting: 'x0' as const, lastTimestepShare: 0.5, uniformTimestepWeight: 0.25 };
    const plain = createSrStage(common);
    const withPixel = createSrStage({ ...common, pixelWeight: 0.3 });
    const ctx = ctxFor(4);
    const a = await plain.task.batch(ctx);
    const b = await withPixel.task.batch(ctxFor(4));
    expect(a.pixel).toBeUndefined();
    expect(b.pixel).toBeDefined();
    const t = Array.from(await b.timesteps.data());
    expect(t).toContain(999);
    expect(t.some((s) => s !== 999)).toBe(true);
    // Same latent batch either way.
    expect(await maxAbsDiff(a.zt, b.zt)).toBe(0);
    const hr = await data.batch(4);
    const before = tf.memory().numTensors;
    const la = plain.task.loss(a, ctxFor(4));
    const lb = withPixel.task.loss(b, ctxFor(4));
    // Independently: x_0 = sqrt(abar) z_t - sqrt(1 - abar) v, plus z_lr (residual), unscaled, decoded, L1 per item.
    (unet as unknown as { train(rng: unknown): void }).train(ctxFor(4).rng.fork('dropout'));
    const expectedTerm = tf.tidy(() => {
      const pred = unet.forward(tf.concat([b.zt, b.zlr], 3) as tf.Tensor4D, b.timesteps);
      const col = (f: (x: number) => number) => tf.reshape(tf.tensor1d(t.map((s) => f(scheduler.alphasCumprod[s]!))), [-1, 1, 1, 1]);
      const x0 = tf.add(tf.sub(tf.mul(col(Math.sqrt), b.zt), tf.mul(col((x) => Math.sqrt(1 - x)), pred)), b.zlr);
      const image = codec.decode(tf.add(tf.div(x0, 0.5), 0.1) as tf.Tensor4D);
      const perItem = tf.mean(tf.abs(tf.sub(image, tf.sub(tf.mul(hr, 2), 1))), [1, 2, 3]);
      return tf.mean(tf.mul(perItem, tf.tensor1d(t.map((s) => (s === 999 ? 1 : 0.25)))));
    });
    const term = (await lb.data())[0]! - (await la.data())[0]!;
    const expected = 0.3 * (await expectedTerm.data())[0]!;
    console.info(`pixel term: stage ${term.toExponential(4)}, independent ${expected.toExponential(4)}`);
    expect(expected).toBeGreaterThan(1e-3);
    expect(Math.abs(term - expected)).toBeLessThan(1e-5 + 1e-4 * expected);
    tf.dispose([la, lb, expectedTerm]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, hr]);
    codec.dispose();
    unet.dispose();
  });

  test('training moves only the U-Net (the decoder runs under the tape but stays frozen), with finite losses and no leaks', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser(2, null);
    const stage = createSrStage({ codec, unet, scheduler: new TestScheduler(), data: new FixedBatches(2, 16), degradation: poolDegradation, scale: 2, residual: true, pixelWeight: 1 });
    const before = { codec: await weightsOf(codec), unet: await weightsOf(unet) };
    const tensors = tf.memory().numTensors;
    const losses: number[] = [];
    await runStage(stage, {
      seed: 11,
      optimizer: { lr: 1e-2, weightDecay: 0 },
      resume: false,
      maxSteps: 5,
      onProgress: (e) => {
        if (e.stage === 'train') losses.push(e.detail?.['loss'] as number);
      },
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses.length).toBe(5);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(changedNames(before.codec, await weightsOf(codec))).toEqual([]);
    expect(changedNames(before.unet, await weightsOf(unet)).length).toBeGreaterThan(0);
    codec.dispose();
    unet.dispose();
  });

  test('bad weights and schedulers without alphasCumprod are refused when the stage is built', () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    const scheduler = new TestScheduler();
    const data = new FixedBatches(2, 16);
    for (const bad of [-0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createSrStage({ codec, unet, scheduler, data, degradation: poolDegradation, scale: 2, pixelWeight: bad })).toThrow(TrainingArgumentError);
      expect(() => createDistillStage({ codec, student: unet, teacher: makeDenoiser(3), scheduler, data, makePair: makePoolPair, scale: 4, pixelWeight: bad })).toThrow(TrainingArgumentError);
    }
    const { alphasCumprod: _dropped, ...rest } = scheduler;
    const bare: TrainingScheduler = Object.assign(Object.create(Object.getPrototypeOf(scheduler) as object) as TrainingScheduler, rest, { alphasCumprod: undefined });
    expect(() => checkPixelWeight(0.5, bare)).toThrow(/alphasCumprod/);
    expect(() => checkPixelWeight(0, bare)).not.toThrow();
    expect(() => checkPixelWeight(undefined, bare)).not.toThrow();
    codec.dispose();
    unet.dispose();
  });
});

describe('distillation stage with a pixel term', () => {
  for (const residual of [false, true]) {
    test(`the target image is the teacher's decoded estimate: zero term at the teacher's prediction (residual ${residual})`, async () => {
      const codec = makeCodec();
      const teacher = makeDenoiser(7);
      const student = makeDenoiser(8);
      const scheduler = new TestScheduler();
      const stage = createDistillStage({ codec, student, teacher, scheduler, data: new FixedBatches(4, 16), makePair: makePoolPair, scale: 4, residual, pixelWeight: 1, lastTimestepShare: 0.5 });
      const batch: DiffusionBatch = await stage.task.batch(ctxFor(3));
      expect(batch.pixel).toBeDefined();
      // At the latent target (the teacher's prediction moved to the student's frame) the student's image is the teacher's.
      const atTarget = pixelLoss(codec, scheduler.predictionType, batch.zt, batch.target, batch.pixel!);
      // Anywhere else it is not (the test can fail), and the target image is not the HR crop.
      const offTarget = tf.tidy(() => pixelLoss(codec, scheduler.predictionType, batch.zt, tf.add(batch.target, 0.3) as tf.Tensor4D, batch.pixel!));
      const hr = await new FixedBatches(4, 16).batch(3);
      const fromHr = await maxAbsDiff(batch.pixel!.target, tf.sub(tf.mul(hr, 2), 1));
      const zero = (await atTarget.data())[0]!;
      const off = (await offTarget.data())[0]!;
      console.info(`distill pixel term (residual ${residual}): at the teacher ${zero.toExponential(2)}, off ${off.toExponential(2)}; |target image - HR| ${fromHr.toFixed(3)}`);
      expect(zero).toBeLessThan(1e-5);
      expect(off).toBeGreaterThan(1e-3);
      expect(fromHr).toBeGreaterThan(0.01);
      tf.dispose([batch, atTarget, offTarget, hr]);
      for (const m of [codec, teacher, student]) m.dispose();
    });
  }
});

describe('loss.pixel_weight', () => {
  const base = MINIMAL_SR_CONFIG;
  test('defaults to 0 (no option), maps to pixelWeight, and a negative weight is refused with its key path', () => {
    expect(parseTrainConfig('sr', base).loss.pixel_weight).toBe(0);
    expect(diffusionLossOptions(parseTrainConfig('sr', base))).not.toHaveProperty('pixelWeight');
    expect(diffusionLossOptions(parseTrainConfig('sr', { ...base, loss: { pixel_weight: 0.05 } })).pixelWeight).toBe(0.05);
    expect(() => parseTrainConfig('sr', { ...base, loss: { pixel_weight: -1 } })).toThrow(TrainingConfigError);
    expect(() => parseTrainConfig('sr', { ...base, loss: { pixel_weight: -1 } })).toThrow(/loss\.pixel_weight/);
  });
});
