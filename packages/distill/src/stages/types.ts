import type * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, NoiseScheduler, PretrainedModel, Rng } from '@yonos/core';

/**
 * A latent codec that can be trained and checkpointed: core's {@link LatentCodec} contract on
 * an nn `Module` with a diffusers config (for example `AutoencoderKL` of `@yonos/vae`).
 */
export type TrainableCodec = LatentCodec & PretrainedModel;

/**
 * A denoiser that can be trained and checkpointed: core's {@link Denoiser} contract on an nn
 * `Module` with a diffusers config (for example `UNet2DConditionModel` of `@yonos/unet`).
 */
export type TrainableDenoiser = Denoiser & PretrainedModel;

/**
 * The scheduler a diffusion stage trains with: core's {@link NoiseScheduler} (`addNoise`,
 * `getVelocity`, `step`, `predictionType`), plus the cumulative alphas that SNR weighting
 * needs. Core's contract has no `alphasCumprod`; `DDIMScheduler` of `@yonos/sampler` has it,
 * so it fits as is. Only required when `snrGamma` is set.
 */
export interface TrainingScheduler extends NoiseScheduler {
  /** `alpha_bar_t` for `t` in `[0, numTrainTimesteps)`, non-increasing in `(0, 1]`. */
  readonly alphasCumprod?: ArrayLike<number>;
}

/**
 * Where high-resolution training crops come from: batch `i` as a pure function of `i`, so a
 * resumed run sees the same data (`RandomCropBatches` fits).
 */
export interface HrBatchSource {
  /**
   * @param index 0-based batch index (the loop's micro-batch counter).
   * @returns NHWC `[N, H, W, 3]`, float32 in `[0, 1]`; the caller disposes it.
   */
  batch(index: number): Promise<tf.Tensor4D>;
}

/**
 * What a scale-distillation pair maker returns: the student's and the teacher's LR inputs,
 * both upsampled back to HR size with the MATLAB bicubic (as `makeDistillationPair` of
 * `@yonos/degrade` does). Other tensors may ride along; the stage disposes the whole object.
 */
export type DistillationInputs = {
  /** The student's input (LR at `1/factor`) upsampled to HR size: NHWC `[N, H, W, 3]`, float32, nominally `[0, 1]`. */
  readonly studentUp: tf.Tensor4D;
  /** The teacher's input (LR at `2/factor`) upsampled to HR size: NHWC `[N, H, W, 3]`, float32, nominally `[0, 1]`. */
  readonly teacherUp: tf.Tensor4D;
} & Readonly<Record<string, tf.Tensor>>;

/**
 * Makes the inputs of one distillation step from one degradation sample. Injected, so that
 * `@yonos/distill` does not depend on `@yonos/degrade`: pass
 * `(hr, f, rng) => makeDistillationPair(hr, f, degradation, rng)`.
 * @param hr NHWC `[N, H, W, 3]`, float32 in `[0, 1]`; H and W divisible by `factor`.
 * @param factor The student's factor (the teacher's is `factor / 2`).
 * @param rng Source of every random choice of the degradation.
 */
export type DistillationPairFn = (hr: tf.Tensor4D, factor: number, rng: Rng) => DistillationInputs;

/** What an extra loss term (perceptual, adversarial...) sees. Tensors belong to the stage: do not dispose them. */
export interface ReconstructionLossArgs {
  /** The target image: NHWC `[N, H, W, 3]`, float32 in `[-1, 1]`. */
  readonly target: tf.Tensor4D;
  /** The decoder's output: NHWC `[N, H, W, 3]`, float32, nominally `[-1, 1]` (not clamped); differentiable. */
  readonly reconstruction: tf.Tensor4D;
  /** 0-based optimizer step. */
  readonly step: number;
  /** A generator for the term's own randomness (a fork of the micro-batch's). */
  readonly rng: Rng;
}

/**
 * A hook adding a term to an image reconstruction loss (VAE training, decoder fine-tuning):
 * for example LPIPS, or the generator side of an adversarial loss. Runs inside the gradient
 * tape: use tf ops only and return a float32 scalar (already weighted).
 */
export type ReconstructionLossHook = (args: ReconstructionLossArgs) => tf.Scalar;
