import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, Module } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkScale } from './checks.js';
import { contextFor, encodeCondition, predictWith, toSigned } from './conditioning.js';
import type { LatentMode } from './conditioning.js';
import { diffusionLoss, noisedLatents, timestepTensors } from './diffusion.js';
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
  const { codec, student, teacher, scheduler, data, makePair, scale, snrGamma, context } = options;
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
    loss: (batch, ctx) => diffusionLoss(student, batch, ctx, context),
  };

  // One tidy scope: everything but the returned batch is freed, also when a step throws.
  function buildDistillBatch(hr: tf.Tensor4D, ctx: StepContext): DiffusionBatch {
    return tf.tidy(() => {
      const pair = makePair(hr, scale, ctx.rng.fork('degrade'));
      const zlrStudent = encodeCondition(codec, toSigned(pair.studentUp));
      const zlrTeacher = encodeCondition(codec, toSigned(pair.teacherUp));
      const latents = noisedLatents(codec, scheduler, hr, ctx.rng, mode);
      const { timesteps, weights } = timestepTensors(scheduler, latents.t, snrGamma);
      (teacher as Partial<Module>).eval?.();
      const target = predictWith(teacher, latents.zt, zlrTeacher, timesteps, contextFor(teacher, hr.shape[0], context));
      return { zt: latents.zt, zlr: zlrStudent, target, timesteps, weights };
    });
  }

  return { name: 'distill', task, modelName: 'unet', model: student };
}
