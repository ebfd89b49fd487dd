// The four training stages on cpu with stand-in models: the batch each builds equals an
// independent computation of the paper's formulas, a short run lowers the loss, only the
// intended parameters change, nothing leaks, and a stopped run resumes bit-identically.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRng, imresize, useBackend } from '@yonos/core';
import type { ProgressEvent } from '@yonos/core';
import {
  TrainingArgumentError,
  createDecoderStage,
  createDistillStage,
  createSrStage,
  createVaeStage,
  isDecoderParameter,
  runStage,
  yonosOneStepLatent,
} from '../src/index.js';
import { lossWeights, minSnrWeights, mixtureWeights, x0Weights } from '../src/stages/index.js';
import type { RunStageOptions, StepContext } from '../src/index.js';
import { removeDir, tempDir } from './helpers/fs.js';
import {
  FixedBatches,
  TestScheduler,
  changedNames,
  headTail,
  makeCodec,
  makeDenoiser,
  makePoolPair,
  maxAbsDiff,
  poolDegradation,
  weightsOf,
} from './stages-fixtures.js';

let root: string;
beforeAll(async () => {
  await useBackend('cpu');
  root = await tempDir('yonos-stages-');
});
afterAll(async () => {
  await removeDir(root);
});

function ctxFor(step: number, seed = 5): StepContext {
  return { step, micro: 0, microBatchIndex: step, rng: createRng(seed).fork(`step:${step}:0`) };
}

/** Runs a stage and returns the losses reported per step. */
async function train(stage: Parameters<typeof runStage>[0], options: Partial<RunStageOptions> & { maxSteps: number }): Promise<number[]> {
  const losses: number[] = [];
  await runStage(stage, {
    seed: 11,
    optimizer: { lr: 1e-2, weightDecay: 0 },
    resume: false,
    onProgress: (e: ProgressEvent) => {
      if (e.stage === 'train') losses.push(e.detail?.['loss'] as number);
    },
    ...options,
  });
  return losses;
}

/** Independent z_t, v and timesteps for one micro-batch, from the same named forks the stages use. */
async function independentLatents(codec: ReturnType<typeof makeCodec>, hr: tf.Tensor4D, ctx: StepContext, scheduler: TestScheduler) {
  const t = Array.from({ length: hr.shape[0] }, (() => {
    const r = ctx.rng.fork('timesteps');
    return () => r.nextInt(0, 999);
  })());
  return tf.tidy(() => {
    const post = codec.encode(tf.sub(tf.mul(hr, 2), 1) as tf.Tensor4D);
    const z0 = tf.mul(tf.sub(post.sample(ctx.rng.fork('latent')), 0.1), 0.5);
    const noise = ctx.rng.fork('noise').normal(z0.shape);
    const col = (f: (a: number) => number): tf.Tensor => tf.reshape(tf.tensor1d(t.map((s) => f(scheduler.alphasCumprod[s]!))), [-1, 1, 1, 1]);
    const sa = col(Math.sqrt);
    const sb = col((a) => Math.sqrt(1 - a));
    return { t, zt: tf.add(tf.mul(sa, z0), tf.mul(sb, noise)), v: tf.sub(tf.mul(sa, noise), tf.mul(sb, z0)) };
  });
}

/** z_lr as YonosPipeline computes it: imresize of the [-1, 1] LR, posterior mean, shifted and scaled. */
function pipelineCondition(codec: ReturnType<typeof makeCodec>, lr01: tf.Tensor4D, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const up = imresize(tf.sub(tf.mul(lr01, 2), 1) as tf.Tensor4D, { height: size, width: size });
    const post = codec.encode(up);
    return tf.mul(tf.sub(post.mean, 0.1), 0.5) as tf.Tensor4D;
  });
}

describe('direct SR stage', () => {
  test('builds z_t = sqrt(abar) z0 + sqrt(1 - abar) eps, the v target and z_lr exactly as computed independently', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    const scheduler = new TestScheduler();
    const data = new FixedBatches(2, 16);
    const stage = createSrStage({ codec, unet, scheduler, data, degradation: poolDegradation, scale: 2 });
    const ctx = ctxFor(3);
    const batch = await stage.task.batch(ctx);
    const hr = await data.batch(3);
    const ref = await independentLatents(codec, hr, ctx, scheduler);
    const zlr = pipelineCondition(codec, poolDegradation.degrade(hr, 2, ctx.rng), 16);
    const diffs = {
      zt: await maxAbsDiff(batch.zt, ref.zt),
      target: await maxAbsDiff(batch.target, ref.v),
      zlr: await maxAbsDiff(batch.zlr, zlr),
    };
    console.info(`SR batch vs independent: max |diff| z_t ${diffs.zt.toExponential(2)}, v ${diffs.target.toExponential(2)}, z_lr ${diffs.zlr.toExponential(2)} (tolerance 1e-6)`);
    expect(Array.from(await batch.timesteps.data())).toEqual(ref.t);
    expect(Array.from(await batch.weights.data())).toEqual([1, 1]);
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-6);
    expect(batch.zt.shape).toEqual([2, 4, 4, 4]);
    tf.dispose([batch, hr, ref.zt, ref.v, zlr]);
    codec.dispose();
    unet.dispose();
  });

  test('residual: the U-Net regresses the v of z_0 - z_lr', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    const scheduler = new TestScheduler();
    const data = new FixedBatches(2, 16);
    const stage = createSrStage({ codec, unet, scheduler, data, degradation: poolDegradation, scale: 2, residual: true });
    const ctx = ctxFor(3);
    const batch = await stage.task.batch(ctx);
    const hr = await data.batch(3);
    const ref = await independentLatents(codec, hr, ctx, scheduler);
    const zlr = pipelineCondition(codec, poolDegradation.degrade(hr, 2, ctx.rng), 16);
    const col = (f: (a: number) => number): tf.Tensor => tf.reshape(tf.tensor1d(ref.t.map((s) => f(scheduler.alphasCumprod[s]!))), [-1, 1, 1, 1]);
    // z_t and v are linear in z_0: subtracting z_lr moves them by -sqrt(abar) z_lr and +sqrt(1 - abar) z_lr.
    const zt = tf.sub(ref.zt, tf.mul(col(Math.sqrt), zlr));
    const v = tf.add(ref.v, tf.mul(col((a) => Math.sqrt(1 - a)), zlr));
    const dZt = await maxAbsDiff(batch.zt, zt as tf.Tensor4D);
    const dV = await maxAbsDiff(batch.target, v as tf.Tensor4D);
    console.info(`residual SR batch vs independent: z_t ${dZt.toExponential(2)}, v ${dV.toExponential(2)} (tolerance 1e-6)`);
    expect(dZt).toBeLessThan(1e-6);
    expect(dV).toBeLessThan(1e-6);
    expect(await maxAbsDiff(batch.target, ref.v)).toBeGreaterThan(0.01);
    tf.dispose([batch, hr, ref.zt, ref.v, zlr, zt, v]);
    codec.dispose();
    unet.dispose();
  });

  test('training lowers the loss, changes only the U-Net, leaks nothing', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    const stage = createSrStage({ codec, unet, scheduler: new TestScheduler(), data: new FixedBatches(2, 16), degradation: poolDegradation, scale: 2, snrGamma: 5 });
    const codecBefore = await weightsOf(codec);
    const unetBefore = await weightsOf(unet);
    const tensors = tf.memory().numTensors;
    const losses = await train(stage, { maxSteps: 40 });
    expect(tf.memory().numTensors).toBe(tensors);
    const { head, tail } = headTail(losses, 8);
    console.info(`SR: ${losses.length} steps, mean loss of the first 8 ${head.toFixed(4)}, last 8 ${tail.toFixed(4)}`);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(tail).toBeLessThan(head * 0.7);
    expect(changedNames(codecBefore, await weightsOf(codec))).toEqual([]);
    // context_proj.weight only ever multiplies the null context (zeros): it gets no gradient, so it must not move either.
    expect(changedNames(unetBefore, await weightsOf(unet)).sort()).toEqual([...unetBefore.keys()].filter((n) => n !== 'context_proj.weight').sort());
    codec.dispose();
    unet.dispose();
  });

  test('a run stopped at step 3 and resumed from its checkpoint ends bit-identical to an uninterrupted one', async () => {
    const run = async (dir: string, steps: number[]): Promise<Map<string, Float32Array>> => {
      for (const maxSteps of steps) {
        const codec = makeCodec();
        const unet = makeDenoiser();
        const stage = createSrStage({ codec, unet, scheduler: new TestScheduler(), data: new FixedBatches(2, 16, 3), degradation: poolDegradation, scale: 2 });
        await runStage(stage, {
          seed: 4,
          maxSteps,
          totalSteps: 6,
          lrSchedule: 'cosine',
          warmupSteps: 2,
          optimizer: { lr: 5e-3 },
          ema: { decay: 0.9 },
          useEmaWeights: false,
          clipNorm: 1,
          checkpointDir: dir,
          resume: 'auto',
        });
        codec.dispose();
        if (maxSteps === steps[steps.length - 1]) {
          const w = await weightsOf(unet);
          unet.dispose();
          return w;
        }
        unet.dispose();
      }
      throw new Error('unreachable');
    };
    const whole = await run(`${root}/sr-whole`, [6]);
    const split = await run(`${root}/sr-split`, [3, 6]);
    expect(changedNames(whole, split)).toEqual([]);
  });

  test('min-SNR weights are min(snr, gamma) / (snr + 1) for v-prediction, min(snr, gamma) / snr for epsilon', () => {
    const alphas = [0.9, 0.5, 0.01];
    const snr = alphas.map((a) => a / (1 - a));
    expect(minSnrWeights(alphas, [0, 1, 2], 5, 'v_prediction')).toEqual(snr.map((s) => Math.min(s, 5) / (s + 1)));
    expect(minSnrWeights(alphas, [0, 1, 2], 5, 'epsilon')).toEqual(snr.map((s) => Math.min(s, 5) / s));
    expect(() => minSnrWeights(alphas, [0], 0, 'v_prediction')).toThrow(TrainingArgumentError);
  });

  test('x0 weights turn the prediction MSE into the MSE of the implied x0, for every prediction type', () => {
    const alphas = [0.9, 0.5, 0.01];
    const t = [0, 1, 2];
    // Independently: perturb the prediction by e at fixed z_t and see how far x0 moves (DDIM's x0 formulas).
    const x0Of = (type: string, a: number, zt: number, pred: number): number =>
      type === 'v_prediction' ? Math.sqrt(a) * zt - Math.sqrt(1 - a) * pred : type === 'epsilon' ? (zt - Math.sqrt(1 - a) * pred) / Math.sqrt(a) : pred;
    for (const type of ['v_prediction', 'epsilon', 'sample'] as const) {
      const w = x0Weights(alphas, t, type);
      alphas.forEach((a, i) => {
        const moved = x0Of(type, a, 0.3, 0.7 + 1e-3) - x0Of(type, a, 0.3, 0.7);
        expect(w[i]!).toBeCloseTo((moved / 1e-3) ** 2, 6);
      });
    }
    const scheduler = new TestScheduler();
    expect(lossWeights(scheduler, [999, 20], undefined, 'x0')).toEqual(x0Weights(scheduler.alphasCumprod, [999, 20], scheduler.predictionType));
    expect(() => lossWeights(scheduler, [999], 5, 'x0')).toThrow(/choose one/);
    // The stages refuse the combination when built, before any step.
    const codec = makeCodec();
    const net = makeDenoiser();
    const common = { codec, scheduler, data: new FixedBatches(1, 16), snrGamma: 5, weighting: 'x0' as const };
    expect(() => createSrStage({ ...common, unet: net, degradation: poolDegradation, scale: 2 })).toThrow(/choose one/);
    expect(() => createDistillStage({ ...common, student: net, teacher: makeDenoiser(3), makePair: makePoolPair, scale: 4 })).toThrow(/choose one/);
    codec.dispose();
    net.dispose();
  });

  test('uniformTimestepWeight scales the loss of the items off the last timestep, in both stages', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    const teacher = makeDenoiser(3);
    const scheduler = new TestScheduler();
    const data = new FixedBatches(8, 16);
    const mixture = { lastTimestepShare: 0.5, uniformTimestepWeight: 0.25, weighting: 'x0' as const };
    const stages = [
      createSrStage({ codec, unet, scheduler, data, degradation: poolDegradation, scale: 2, ...mixture }),
      createDistillStage({ codec, student: unet, teacher, scheduler, data, makePair: makePoolPair, scale: 4, ...mixture }),
    ];
    for (const stage of stages) {
      const batch = await stage.task.batch(ctxFor(4));
      const t = Array.from(await batch.timesteps.data());
      // Both kinds of item in the batch, or the test would not see the weight.
      expect(t).toContain(999);
      expect(t.some((s) => s !== 999)).toBe(true);
      const expected = x0Weights(scheduler.alphasCumprod, t, scheduler.predictionType).map((w, i) => (t[i] === 999 ? w : w * 0.25));
      const got = Array.from(await batch.weights.data());
      got.forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
      tf.dispose(batch);
    }
    // Checked when built: a weight outside (0, 1].
    for (const bad of [0, 1.5, Number.NaN]) {
      expect(() => createSrStage({ codec, unet, scheduler, data, degradation: poolDegradation, scale: 2, uniformTimestepWeight: bad })).toThrow(TrainingArgumentError);
    }
    expect(mixtureWeights([1, 2, 3], [999, 5, 999], 999, 0.5)).toEqual([1, 1, 3]);
    codec.dispose();
    unet.dispose();
    teacher.dispose();
  });
});

describe('scale distillation stage', () => {
  test("the target is the frozen teacher's prediction on the same z_t with the teacher's (2/N) input", async () => {
    const codec = makeCodec();
    const teacher = makeDenoiser(7);
    const student = makeDenoiser(8);
    const scheduler = new TestScheduler();
    const data = new FixedBatches(2, 16);
    const stage = createDistillStage({ codec, student, teacher, scheduler, data, makePair: makePoolPair, scale: 4 });
    const ctx = ctxFor(2);
    const batch = await stage.task.batch(ctx);
    const hr = await data.batch(2);
    const ref = await independentLatents(codec, hr, ctx, scheduler);
    const pair = makePoolPair(hr, 4, ctx.rng);
    const zlrTeacher = pipelineCondition(codec, pair['teacher'] as tf.Tensor4D, 16);
    const zlrStudent = pipelineCondition(codec, pair['student'] as tf.Tensor4D, 16);
    const expected = tf.tidy(() => teacher.forward(tf.concat([ref.zt, zlrTeacher], 3) as tf.Tensor4D, tf.tensor1d(ref.t), tf.zeros([2, 1, 6])));
    const dTarget = await maxAbsDiff(batch.target, expected);
    const dZlr = await maxAbsDiff(batch.zlr, zlrStudent);
    const dZt = await maxAbsDiff(batch.zt, ref.zt);
    const fromTruth = await maxAbsDiff(batch.target, ref.v);
    console.info(`distill batch: max |target - teacher(z_t, z_lr_teacher)| ${dTarget.toExponential(2)}, z_lr(student) ${dZlr.toExponential(2)}, z_t ${dZt.toExponential(2)} (tolerance 1e-6); |target - ground-truth v| ${fromTruth.toFixed(3)}`);
    expect(dTarget).toBeLessThan(1e-6);
    expect(dZlr).toBeLessThan(1e-6);
    expect(dZt).toBeLessThan(1e-6);
    expect(fromTruth).toBeGreaterThan(0.1);
    tf.dispose([batch, hr, ref.zt, ref.v, pair, zlrTeacher, zlrStudent, expected]);
    for (const m of [codec, teacher, student]) m.dispose();
  });

  test('training moves the student towards the teacher; teacher and codec stay bit-identical', async () => {
    const codec = makeCodec();
    const teacher = makeDenoiser(7);
    const student = makeDenoiser(7);
    // The student starts as a copy of the teacher (as the chain does) but is perturbed, so there is something to learn.
    student.initialize(createRng(9));
    const stage = createDistillStage({ codec, student, teacher, scheduler: new TestScheduler(), data: new FixedBatches(2, 16), makePair: makePoolPair, scale: 4 });
    const before = { codec: await weightsOf(codec), teacher: await weightsOf(teacher) };
    const tensors = tf.memory().numTensors;
    const losses = await train(stage, { maxSteps: 40 });
    expect(tf.memory().numTensors).toBe(tensors);
    const { head, tail } = headTail(losses, 8);
    console.info(`distill: mean loss of the first 8 steps ${head.toFixed(5)}, last 8 ${tail.toFixed(5)}`);
    expect(tail).toBeLessThan(head * 0.7);
    expect(changedNames(before.codec, await weightsOf(codec))).toEqual([]);
    expect(changedNames(before.teacher, await weightsOf(teacher))).toEqual([]);
    for (const m of [codec, teacher, student]) m.dispose();
  });

  test('residual: teacher and student each see z_0 - z_lr of their own condition, and the target gives the teacher\'s x0 in the student\'s frame', async () => {
    const codec = makeCodec();
    const teacher = makeDenoiser(7);
    const student = makeDenoiser(8);
    const scheduler = new TestScheduler();
    const data = new FixedBatches(2, 16);
    const stage = createDistillStage({ codec, student, teacher, scheduler, data, makePair: makePoolPair, scale: 4, residual: true });
    const ctx = ctxFor(2);
    const batch = await stage.task.batch(ctx);
    const hr = await data.batch(2);
    const ref = await independentLatents(codec, hr, ctx, scheduler); // absolute z_0: z_t and v of the non-residual formulation
    const pair = makePoolPair(hr, 4, ctx.rng);
    const zlrT = pipelineCondition(codec, pair['teacher'] as tf.Tensor4D, 16);
    const zlrS = pipelineCondition(codec, pair['student'] as tf.Tensor4D, 16);
    const col = (f: (a: number) => number): tf.Tensor => tf.reshape(tf.tensor1d(ref.t.map((s) => f(scheduler.alphasCumprod[s]!))), [-1, 1, 1, 1]);
    const [sa, sb] = [col(Math.sqrt), col((a) => Math.sqrt(1 - a))];
    // Noising is linear: z_t of z_0 - z_lr is z_t of z_0 minus sqrt(abar) z_lr.
    const ztT = tf.sub(ref.zt, tf.mul(sa, zlrT));
    const ztS = tf.sub(ref.zt, tf.mul(sa, zlrS));
    const teacherV = teacher.forward(tf.concat([ztT, zlrT], 3) as tf.Tensor4D, tf.tensor1d(ref.t), tf.zeros([2, 1, 6]));
    const x0Teacher = tf.add(zlrT, tf.sub(tf.mul(sa, ztT), tf.mul(sb, teacherV)));
    const x0Student = tf.add(zlrS, tf.sub(tf.mul(sa, batch.zt), tf.mul(sb, batch.target)));
    const dZt = await maxAbsDiff(batch.zt, ztS as tf.Tensor4D);
    const dX0 = await maxAbsDiff(x0Student as tf.Tensor4D, x0Teacher as tf.Tensor4D);
    console.info(`residual distill batch: z_t vs independent ${dZt.toExponential(2)}, absolute x0 of the target vs the teacher's ${dX0.toExponential(2)} (tolerance 1e-5)`);
    expect(dZt).toBeLessThan(1e-5);
    expect(dX0).toBeLessThan(1e-5);
    expect(await maxAbsDiff(zlrT, zlrS)).toBeGreaterThan(0.01); // the two frames differ, so the shift is exercised
    tf.dispose([batch, hr, ref.zt, ref.v, pair, zlrT, zlrS, sa, sb, ztT, ztS, teacherV, x0Teacher, x0Student]);
    for (const m of [codec, teacher, student]) m.dispose();
  });

  test('refuses an odd scale and a teacher that is the student', () => {
    const codec = makeCodec();
    const net = makeDenoiser();
    const base = { codec, scheduler: new TestScheduler(), data: new FixedBatches(1, 16), makePair: makePoolPair };
    expect(() => createDistillStage({ ...base, student: net, teacher: makeDenoiser(3), scale: 3 })).toThrow(/even/);
    expect(() => createDistillStage({ ...base, student: net, teacher: net, scale: 4 })).toThrow(/separate/);
    codec.dispose();
    net.dispose();
  });
});

describe('decoder fine-tuning stage', () => {
  test('decodes the one-step latent: one DDIM step from t = 999 of the frozen U-Net, as computed independently', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    const scheduler = new TestScheduler();
    const data = new FixedBatches(2, 16);
    const stage = createDecoderStage({ codec, oneStepLatent: yonosOneStepLatent({ codec, unet, scheduler }), data, degradation: poolDegradation, scale: 2 });
    const residualStage = createDecoderStage({
      codec,
      oneStepLatent: yonosOneStepLatent({ codec, unet, scheduler, residual: true }),
      data,
      degradation: poolDegradation,
      scale: 2,
    });
    const ctx = ctxFor(1);
    const batch = await stage.task.batch(ctx);
    const residualBatch = await residualStage.task.batch(ctx);
    const hr = await data.batch(1);
    const zlr = pipelineCondition(codec, poolDegradation.degrade(hr, 2, ctx.rng), 16);
    // Residual: z_lr is added to the one-step result before unscaling (here scaling 0.5, shift 0.1).
    const dResidual = await maxAbsDiff(residualBatch.latent, tf.tidy(() => tf.add(batch.latent, tf.div(zlr, 0.5))) as tf.Tensor4D);
    expect(dResidual).toBeLessThan(1e-5);
    tf.dispose(residualBatch);
    const expected = tf.tidy(() => {
      const zT = ctx.rng.fork('noise').normal(zlr.shape);
      const v = unet.forward(tf.concat([zT, zlr], 3) as tf.Tensor4D, 999, tf.zeros([2, 1, 6]));
      const a = scheduler.alphasCumprod[999]!;
      const a0 = scheduler.alphasCumprod[0]!;
      const x0 = tf.sub(tf.mul(Math.sqrt(a), zT), tf.mul(Math.sqrt(1 - a), v));
      const eps = tf.add(tf.mul(Math.sqrt(a), v), tf.mul(Math.sqrt(1 - a), zT));
      const z0 = tf.add(tf.mul(Math.sqrt(a0), x0), tf.mul(Math.sqrt(1 - a0), eps));
      return tf.add(tf.div(z0, 0.5), 0.1);
    });
    const d = await maxAbsDiff(batch.latent, expected);
    console.info(`decoder batch: max |latent - independent one-step latent| ${d.toExponential(2)} (tolerance 1e-5)`);
    expect(d).toBeLessThan(1e-5);
    expect(await maxAbsDiff(batch.target, tf.tidy(() => tf.sub(tf.mul(hr, 2), 1)))).toBe(0);
    tf.dispose([batch, hr, zlr, expected]);
    codec.dispose();
    unet.dispose();
  });

  test('only decoder parameters change: encoder, quant_conv and the U-Net stay bit-identical', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    // Like a trained YONOS U-Net at t = T, whose output is set by z_lr, not by the noise: an
    // untrained one would hand the decoder mostly fresh noise each step, leaving nothing to learn.
    // Its output is also scaled up to a trained U-Net's magnitude (|v| ~ 1 at t = T), so z_0 is mostly signal.
    const w = unet.conv_in.weight;
    w.assign(tf.tidy(() => tf.concat([tf.zerosLike(tf.slice(w.value, [0, 0, 0, 0], [-1, -1, 4, -1])), tf.slice(w.value, [0, 0, 4, 0], [-1, -1, 4, -1])], 2)));
    unet.conv_out.weight.assign(tf.tidy(() => tf.mul(unet.conv_out.weight.value, 10)));
    // One fixed image: the tiny decoder (one 3x3 conv) can fit it, while it underfits two.
    const oneStepLatent = yonosOneStepLatent({ codec, unet, scheduler: new TestScheduler() });
    const stage = createDecoderStage({ codec, oneStepLatent, data: new FixedBatches(2, 16, 1), degradation: poolDegradation, scale: 2 });
    const codecBefore = await weightsOf(codec);
    const unetBefore = await weightsOf(unet);
    const tensors = tf.memory().numTensors;
    const losses = await train(stage, { maxSteps: 40, ema: { decay: 0.9 } });
    expect(tf.memory().numTensors).toBe(tensors);
    const { head, tail } = headTail(losses, 6);
    console.info(`decoder: mean L1 of the first 6 steps ${head.toFixed(4)}, last 6 ${tail.toFixed(4)}`);
    expect(tail).toBeLessThan(head * 0.9);
    expect(changedNames(codecBefore, await weightsOf(codec)).sort()).toEqual(['decoder.bias', 'decoder.weight', 'post_quant_conv.bias', 'post_quant_conv.weight']);
    expect(changedNames(unetBefore, await weightsOf(unet))).toEqual([]);
    codec.dispose();
    unet.dispose();
  });
});

describe('VAE stage', () => {
  test('loss = L1 + klWeight * KL / (H W 3), computed independently; training lowers it and changes every parameter', async () => {
    const codec = makeCodec();
    const data = new FixedBatches(2, 16);
    const stage = createVaeStage({ codec, data, klWeight: 1e-2, samplePosterior: false });
    const ctx = ctxFor(0);
    const batch = await stage.task.batch(ctx);
    const loss = stage.task.loss(batch, ctx);
    const expected = tf.tidy(() => {
      const x = batch.image;
      const post = codec.encode(x);
      const l1 = tf.mean(tf.abs(tf.sub(codec.decode(post.mean), x)));
      const kl = tf.mean(tf.mul(tf.sum(tf.sub(tf.add(tf.square(post.mean), tf.exp(post.logvar)), tf.add(post.logvar, 1)), [1, 2, 3]), 0.5));
      return tf.add(l1, tf.mul(tf.div(kl, 16 * 16 * 3), 1e-2));
    });
    const d = await maxAbsDiff(loss, expected);
    expect(d).toBeLessThan(1e-6);
    tf.dispose([batch, loss, expected]);

    const before = await weightsOf(codec);
    const tensors = tf.memory().numTensors;
    const losses = await train(createVaeStage({ codec, data }), { maxSteps: 30 });
    expect(tf.memory().numTensors).toBe(tensors);
    const { head, tail } = headTail(losses, 6);
    console.info(`VAE: loss vs independent ${d.toExponential(2)} (tolerance 1e-6); mean loss of the first 6 steps ${head.toFixed(4)}, last 6 ${tail.toFixed(4)}`);
    expect(tail).toBeLessThan(head * 0.8);
    expect(changedNames(before, await weightsOf(codec)).length).toBe(before.size);
    codec.dispose();
  });

  test('trainParameter: isDecoderParameter trains the decoder alone, so the latents stay bit-identical', async () => {
    const codec = makeCodec();
    const data = new FixedBatches(2, 16);
    const probe = await data.batch(0);
    const latentBefore = tf.tidy(() => codec.encode(tf.sub(tf.mul(probe, 2), 1) as tf.Tensor4D).mean);
    const before = await weightsOf(codec);
    const tensors = tf.memory().numTensors;
    const losses = await train(createVaeStage({ codec, data, samplePosterior: false, trainParameter: isDecoderParameter }), { maxSteps: 30 });
    expect(tf.memory().numTensors).toBe(tensors);
    const { head, tail } = headTail(losses, 6);
    expect(tail).toBeLessThan(head * 0.9);
    expect(changedNames(before, await weightsOf(codec)).sort()).toEqual(['decoder.bias', 'decoder.weight', 'post_quant_conv.bias', 'post_quant_conv.weight']);
    const latentAfter = tf.tidy(() => codec.encode(tf.sub(tf.mul(probe, 2), 1) as tf.Tensor4D).mean);
    expect(await maxAbsDiff(latentAfter, latentBefore)).toBe(0);
    expect(() => createVaeStage({ codec, data, trainParameter: () => false })).toThrow(/VAE training: no parameter/);
    tf.dispose([probe, latentBefore, latentAfter]);
    codec.dispose();
  });
});
