import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@yonos/core';
import { NonFiniteGradientError, NonFiniteLossError, TrainingArgumentError } from '../errors.js';
import type { GradientAccumulator } from '../optim/accumulate.js';
import type { AdamW } from '../optim/adamw.js';
import { clipFactor, globalGradNorm } from '../optim/clip.js';
import type { Ema } from '../optim/ema.js';

/** What a {@link TrainTask} is told about the micro-batch it computes. */
export interface StepContext {
  /** 0-based index of the optimizer step (= updates already done). */
  readonly step: number;
  /** 0-based micro-batch index within the step. */
  readonly micro: number;
  /** `step * gradAccumulation + micro`: the batch index to ask a data source for (e.g. `RandomCropBatches.batch`). */
  readonly microBatchIndex: number;
  /**
   * This micro-batch's generator, `runRng.fork('step:<step>:<micro>')`: a pure function of the
   * run seed and the position, so a resumed run draws the same numbers. Draw all randomness
   * from it (noise, timesteps, degradations), and re-seed dropout with
   * `model.train(ctx.rng.fork('dropout'))` so masks do not depend on earlier steps.
   */
  readonly rng: Rng;
}

/**
 * One training objective, split in two so data loading can be asynchronous while the loss is
 * differentiated: {@link TrainTask.batch} loads inputs (decoding, degradations), then
 * {@link TrainTask.loss} computes the scalar loss with tf ops under `tf.variableGrads`.
 * @typeParam B Whatever the batch holds (tensors, nested in arrays/objects); the loop disposes
 *   every tensor in it after the micro-batch.
 */
export interface TrainTask<B extends tf.TensorContainer> {
  /** Loads the inputs of one micro-batch. */
  batch(ctx: StepContext): B | Promise<B>;
  /** The micro-batch's loss (a float32 scalar, typically a batch mean), from the trainable variables. */
  loss(batch: B, ctx: StepContext): tf.Scalar;
}

/** Options of {@link runTrainStep}. */
export interface TrainStepOptions<B extends tf.TensorContainer> {
  /** Loads each micro-batch and computes its loss. */
  readonly task: TrainTask<B>;
  /** Applies the (accumulated, clipped) gradients to its variables, at {@link TrainStepOptions.lr}. */
  readonly optimizer: AdamW;
  /** Reused across steps; must cover the optimizer's variables. */
  readonly accumulator: GradientAccumulator;
  /** 0-based step index. */
  readonly step: number;
  /** The run generator (only forked). */
  readonly rng: Rng;
  /** Learning rate of this update. */
  readonly lr: number;
  /** Micro-batches per update (default 1). */
  readonly gradAccumulation?: number;
  /** Clip the global gradient norm to this (default: no clipping). */
  readonly clipNorm?: number;
  /** Updated after the optimizer step. */
  readonly ema?: Ema;
}

/** Figures of one completed step. */
export interface TrainStepResult {
  /** Mean loss over the micro-batches. */
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
}

/**
 * One optimizer update: accumulate gradients over the micro-batches, read the loss and the
 * gradient norm (one download), refuse NaN/Inf, clip, AdamW, EMA. Leak-free: every tensor it
 * makes, and every batch the task loads, is freed; only the variables and optimizer state change.
 * @throws {@link NonFiniteLossError} / {@link NonFiniteGradientError} before anything is updated.
 */
export async function runTrainStep<B extends tf.TensorContainer>(options: TrainStepOptions<B>): Promise<TrainStepResult> {
  const { task, optimizer, accumulator, step, rng, ema } = options;
  const accumulation = options.gradAccumulation ?? 1;
  if (!Number.isInteger(accumulation) || accumulation < 1) {
    throw new TrainingArgumentError(`gradAccumulation must be a positive integer, got ${accumulation}.`);
  }
  accumulator.reset();
  try {
    for (let micro = 0; micro < accumulation; micro++) {
      const ctx: StepContext = {
        step,
        micro,
        microBatchIndex: step * accumulation + micro,
        rng: rng.fork(`step:${step}:${micro}`),
      };
      const batch = await task.batch(ctx);
      try {
        accumulator.add(() => task.loss(batch, ctx));
      } finally {
        tf.dispose(batch);
      }
    }
  } catch (error) {
    accumulator.reset();
    throw error;
  }
  const { loss, grads } = accumulator.take();
  let norm: tf.Scalar | undefined;
  let factor: tf.Scalar | undefined;
  try {
    norm = globalGradNorm(grads);
    // Clipping scales the gradients inside the optimizer's fused update (gradScale): the same
    // products as clipGradNorm's, without a scaled copy of every gradient.
    if (options.clipNorm !== undefined) factor = clipFactor(norm, options.clipNorm);
    const figures = tf.stack([loss, norm]);
    const [lossValue, normValue] = await figures.data();
    figures.dispose();
    if (!Number.isFinite(lossValue)) {
      throw new NonFiniteLossError(
        `The loss is ${lossValue} at step ${step} (0-based; ${step} updates done): training diverged. Nothing was updated or saved; ` +
          'resume from the last checkpoint with a lower learning rate, gradient clipping, or check the inputs of this step.',
        step,
        lossValue!,
      );
    }
    if (!Number.isFinite(normValue)) {
      throw new NonFiniteGradientError(
        `The gradient norm is ${normValue} at step ${step} (loss ${lossValue}): training diverged. Nothing was updated or saved; ` +
          'resume from the last checkpoint with a lower learning rate or clipNorm.',
        step,
        normValue!,
      );
    }
    optimizer.lr = options.lr;
    optimizer.step(grads, factor !== undefined ? { gradScale: factor } : {});
    ema?.update();
    return { loss: lossValue!, gradNorm: normValue! };
  } finally {
    tf.dispose([loss, ...grads.values(), ...(norm !== undefined ? [norm] : []), ...(factor !== undefined ? [factor] : [])]);
  }
}
