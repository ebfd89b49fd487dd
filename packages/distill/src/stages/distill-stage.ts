import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, Module } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkScale } from './checks.js';
import { checkChannelWeights } from './channel-weights.js';
import { contextFor, encodeCondition, predictWith, toSigned } from './conditioning.js';
import type { LatentMode } from './conditioning.js';
import { checkTimestepWeighting } from './noise.js';
import type { LossWeighting } from './noise.js';
import { diffusionLoss, groundTruthTarget, noisedLatents, timestepTensors } from './diffusion.js';
import type { DiffusionBatch } from './diffusion.js';
import type { DistillationPairFn, HrBatchSource, TrainableDenoiser, TrainingScheduler } from './types.js';
import type { Stage } from './stage.js';

/** Options of {@link createDistillStage}. */
export interface DistillStageOptions {
  /** The frozen latent codec shared by teacher and student. */
  readonly codec: LatentCodec;
  /** The student being trained for `scale` (usually initialized from the teacher's weights). */
  readonly student: TrainableDenoiser;
  /** The frozen teacher, trained for `scale / 2`. Evaluated in eval mode (no dropout), outside the gradient tape. */
  readonly teacher: Denoiser;
  /** Noise schedule and prediction type, the same the teacher was trained with. */
  readonly scheduler: TrainingScheduler;
  /** HR crops, NHWC float32 in `[0, 1]`; sides divisible by `scale` and by the latent grid. */
  readonly data: HrBatchSource;
  /** Student and teacher inputs from one degradation sample (`makeDistillationPair` of `@yonos/degrade`). */
  readonly makePair: DistillationPairFn;
  /** The student's factor: an even integer (4, 8...). */
  readonly scale: number;
  /** Min-SNR-gamma weighting of the student's loss; default none. */
  readonly snrGamma?: number;
  /** Measure the MSE on the prediction (default) or on the implied `x_0` (`'x0'`, see `x0Weights`); `'x0'` excludes `snrGamma`. */
  readonly weighting?: LossWeighting;
  /**
   * Residual diffusion for teacher and student (both trained so): each network works on
   * `z_0 - z_lr` of its own condition. The two see the same noise; the teacher's prediction is
   * moved to the student's origin (`target + groundTruthTarget(z_lr_teacher - z_lr_student, noise 0)`,
   * exact for every prediction type since the targets are linear in `z_0` and the noise).
   */
  readonly residual?: boolean;
  /** Train on timesteps in `[first, last]` only (default all): `[T-1, T-1]` trains just what one-step inference uses. */
  readonly timestepRange?: readonly [number, number];
  /** Share of items trained on the range's last timestep, the rest uniform (default 0; see `drawTimesteps`). */
  readonly lastTimestepShare?: number;
  /** Per-latent-channel loss weights (`decoderChannelWeights` makes the loss track pixel error); default all 1. */
  readonly channelWeights?: readonly number[];
  /** How `z_0` comes from the HR posterior (default `'sample'`). */
  readonly latentMode?: LatentMode;
  /** Cross-attention context for both networks; default the null context. Not disposed. */
  readonly context?: tf.Tensor3D;
}

/**
 * Scale distillation (YONOS-SR, Sec. 3): the student for factor `N` learns to reproduce the
 * frozen teacher for `N / 2` on the same noisy latent. Per micro-batch: one degradation sample
 * gives the student's LR (`1/N` of HR size) and the teacher's (`2/N`), each upsampled back to HR
 * size and encoded to its own `z_lr` as at inference; the HR crop gives `z_0`, noised to one
 * `z_t` at random timesteps; the target is the teacher's prediction
 * `teacher(concat(z_t, z_lr_teacher), t)`, and the student regresses
 * `student(concat(z_t, z_lr_student), t)` onto it with MSE (optionally min-SNR weighted).
 *
 * The loss is on the teacher's raw output, v under v-prediction, not on an implied `x_0`:
 * the paper takes the teacher's prediction as the target, v is what both networks output
 * (no conversion that could amplify errors: `x_0 = sqrt(abar) z_t - sqrt(1 - abar) v` scales v
 * errors by `sqrt(1 - abar)`, so an `x_0` loss would just be this loss re-weighted by
 * `1 - abar_t`, i.e. `1 / (1 + snr)`), and it keeps the student's loss on the same scale as
 * the teacher's own training loss (same weighting, same `snrGamma`), so the two can be compared.
 * @throws {@link TrainingArgumentError} for an odd or too small scale, or a teacher whose channels differ from the student's.
 */
export function createDistillStage(options: DistillStageOptions): Stage<DiffusionBatch> {
  const { codec, student, teacher, scheduler, data, makePair, scale, snrGamma, context, channelWeights, weighting } = options;
  if (channelWeights !== undefined) checkChannelWeights(channelWeights, codec.latentChannels);
  checkTimestepWeighting(snrGamma, weighting);
  checkScale(scale, 2, 'scale distillation');
  if (scale % 2 !== 0) throw new TrainingArgumentError(`scale distillation: the student's scale must be even (the teacher works at scale / 2), got ${scale}.`);
  if (teacher.inChannels !== student.inChannels || teacher.outChannels !== student.outChannels) {
    throw new TrainingArgumentError(
      `scale distillation: teacher (${teacher.inChannels} -> ${teacher.outChannels} channels) and student ` +
        `(${student.inChannels} -> ${student.outChannels}) must have the same input and output channels.`,
    );
  }
  if (teacher === student) throw new TrainingArgumentError('scale distillation: the teacher must be a separate, frozen copy of the student, not the same object.');
  const mode = options.latentMode ?? 'sample';

  const task: TrainTask<DiffusionBatch> = {
    batch: async (ctx: StepContext): Promise<DiffusionBatch> => {
      const hr = await data.batch(ctx.microBatchIndex);
      try {
        return buildDistillBatch(hr, ctx);
      } finally {
        hr.dispose();
      }
    },
    loss: (batch, ctx) => diffusionLoss(student, batch, ctx, context, channelWeights),
  };

  // One tidy scope: everything but the returned batch is freed, also when a step throws.
  function buildDistillBatch(hr: tf.Tensor4D, ctx: StepContext): DiffusionBatch {
    return tf.tidy(() => {
      const pair = makePair(hr, scale, ctx.rng.fork('degrade'));
      const zlrStudent = encodeCondition(codec, toSigned(pair.studentUp));
      const zlrTeacher = encodeCondition(codec, toSigned(pair.teacherUp));
      const residual = options.residual === true;
      const latents = noisedLatents(codec, scheduler, hr, ctx.rng, mode, residual ? zlrTeacher : undefined, options.timestepRange, options.lastTimestepShare);
      const { timesteps, weights } = timestepTensors(scheduler, latents.t, snrGamma, weighting);
      (teacher as Partial<Module>).eval?.();
      const teacherOut = predictWith(teacher, latents.zt, zlrTeacher, timesteps, contextFor(teacher, hr.shape[0], context));
      if (!residual) return { zt: latents.zt, zlr: zlrStudent, target: teacherOut, timesteps, weights };
      // The student's residual is z_0 - z_lr_student = (teacher's residual) + shift, noised with the same noise.
      const shift = tf.sub(zlrTeacher, zlrStudent) as tf.Tensor4D;
      const zt = scheduler.addNoise(tf.add(latents.z0, shift) as tf.Tensor4D, latents.noise, latents.t) as tf.Tensor4D;
      const moved = groundTruthTarget(scheduler, { z0: shift, noise: tf.zerosLike(shift), zt, t: latents.t });
      const target = tf.add(teacherOut, moved) as tf.Tensor4D;
      return { zt, zlr: zlrStudent, target, timesteps, weights };
    });
  }

  return { name: 'distill', task, modelName: 'unet', model: student };
}
