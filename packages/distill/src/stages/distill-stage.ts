import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import { TrainingArgumentError } from '../errors.js';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkScale } from './checks.js';
import { checkChannelWeights } from './channel-weights.js';
import { contextFor, encodeCondition, predictWith, toSigned } from './conditioning.js';
import { checkTimestepOptions } from './noise.js';
import { diffusionLoss, groundTruthTarget, noisedLatents, timestepTensors } from './diffusion.js';
import type { DiffusionBatch } from './diffusion.js';
import type { DiffusionStageOptions } from './diffusion-options.js';
import { alphaBarRoots, decodePrediction, pixelTermBatch, pixelTermOptions } from './pixel-term.js';
import type { DistillationPairFn, TrainableDenoiser } from './types.js';
import type { Stage } from './stage.js';

/**
 * Options of {@link createDistillStage}: the shared {@link DiffusionStageOptions} (with `scale` the
 * student's factor, an even integer, and `residual` applying to teacher and student alike) and the
 * two networks.
 */
export interface DistillStageOptions extends DiffusionStageOptions {
  /** The student being trained for `scale` (usually initialized from the teacher's weights). */
  readonly student: TrainableDenoiser;
  /**
   * The frozen teacher, trained for `scale / 2`. Evaluated in eval mode (no dropout), outside
   * the gradient tape. With `residual`, the two see the same noise and the teacher's prediction
   * is moved to the student's origin (`target + groundTruthTarget(z_lr_teacher - z_lr_student,
   * noise 0)`, exact for every prediction type since the targets are linear in `z_0` and the noise).
   */
  readonly teacher: Denoiser;
  /** Student and teacher inputs from one degradation sample (`makeDistillationPair` of `@yonos/degrade`). */
  readonly makePair: DistillationPairFn;
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
 * With `pixelWeight`, a pixel term pulls the image the student's `x_0` estimate decodes to
 * towards the one the teacher's decodes to (the teacher's prediction stays the only target).
 * @throws {@link TrainingArgumentError} for an odd or too small scale, or a teacher whose channels differ from the student's.
 */
export function createDistillStage(options: DistillStageOptions): Stage<DiffusionBatch> {
  const { codec, student, teacher, scheduler, data, makePair, scale, context, channelWeights } = options;
  if (channelWeights !== undefined) checkChannelWeights(channelWeights, codec.latentChannels);
  checkTimestepOptions(options);
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
  const pixel = pixelTermOptions(options.pixelWeight, codec, scheduler);

  const task: TrainTask<DiffusionBatch> = {
    batch: async (ctx: StepContext): Promise<DiffusionBatch> => {
      const hr = await data.batch(ctx.microBatchIndex);
      try {
        return buildDistillBatch(hr, ctx);
      } finally {
        hr.dispose();
      }
    },
    loss: (batch, ctx) => diffusionLoss(student, batch, ctx, context, channelWeights, pixel),
  };

  // One tidy scope: everything but the returned batch is freed, also when a step throws.
  function buildDistillBatch(hr: tf.Tensor4D, ctx: StepContext): DiffusionBatch {
    return tf.tidy(() => {
      const pair = makePair(hr, scale, ctx.rng.fork('degrade'));
      const zlrStudent = encodeCondition(codec, toSigned(pair.studentUp));
      const zlrTeacher = encodeCondition(codec, toSigned(pair.teacherUp));
      const residual = options.residual === true;
      const latents = noisedLatents(codec, scheduler, hr, ctx.rng, mode, residual ? zlrTeacher : undefined, options);
      const { timesteps, weights } = timestepTensors(scheduler, latents.t, options);
      (teacher as Partial<Module>).eval?.();
      const teacherOut = predictWith(teacher, latents.zt, zlrTeacher, timesteps, contextFor(teacher, hr.shape[0], context));
      // The pixel target is the image the teacher's own x_0 estimate decodes to, as the latent target is its prediction.
      const withPixel = (batch: DiffusionBatch): DiffusionBatch => {
        if (pixel === undefined) return batch;
        const roots = alphaBarRoots(scheduler, latents.t);
        const teacherImage = decodePrediction(codec, scheduler.predictionType, latents.zt, teacherOut, { ...roots, ...(residual ? { origin: zlrTeacher } : {}) });
        return { ...batch, pixel: pixelTermBatch(scheduler, teacherImage, latents.t, options, residual ? zlrStudent : undefined) };
      };
      if (!residual) return withPixel({ zt: latents.zt, zlr: zlrStudent, target: teacherOut, timesteps, weights });
      // The student's residual is z_0 - z_lr_student = (teacher's residual) + shift, noised with the same noise.
      const shift = tf.sub(zlrTeacher, zlrStudent) as tf.Tensor4D;
      const zt = scheduler.addNoise(tf.add(latents.z0, shift) as tf.Tensor4D, latents.noise, latents.t) as tf.Tensor4D;
      const moved = groundTruthTarget(scheduler, { z0: shift, noise: tf.zerosLike(shift), zt, t: latents.t });
      const target = tf.add(teacherOut, moved) as tf.Tensor4D;
      return withPixel({ zt, zlr: zlrStudent, target, timesteps, weights });
    });
  }

  return { name: 'distill', task, modelName: 'unet', model: student };
}
