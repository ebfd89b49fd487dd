import type * as tf from '@tensorflow/tfjs-core';
import type { MemoryEstimateOptions, SpatialShape } from './latent-codec.js';

/** Options of {@link Denoiser.estimateMemory}. */
export interface DenoiserMemoryOptions extends MemoryEstimateOptions {
  /** Tokens of the cross-attention context (`L` of `encoderHiddenStates`). Default 77. */
  readonly contextLength?: number;
}

/** Memory of one denoiser evaluation at one size, in bytes ({@link Denoiser.estimateMemory}). */
export interface DenoiserMemory {
  /** Peak tensor memory of {@link Denoiser.forward}, its output included. */
  readonly forward: number;
  /**
   * Bytes the backend keeps after `forward`, outside tensors, until the model is disposed
   * (see `LatentCodecMemory.encodeRetained`). 0 when omitted.
   */
  readonly forwardRetained?: number;
}

/**
 * Class labels for a class-conditioned {@link Denoiser} ({@link DenoiserForwardOptions.classLabels}):
 * one number for the whole batch, one number per batch item (a list or a `[N]` tensor; a list or
 * tensor of one is shared by the batch), or, for `'vector'` conditioning, a `[N, dim]` (or
 * `[1, dim]`) float32 tensor. For `'index'` conditioning the numbers are integer rows of the
 * embedding table (int32 tensors, or float32 holding integers).
 */
export type DenoiserClassLabels = number | readonly number[] | tf.Tensor1D | tf.Tensor2D;

/**
 * How a {@link Denoiser} is conditioned on class labels ({@link Denoiser.classConditioning}),
 * that is, what {@link DenoiserForwardOptions.classLabels} must hold:
 * - `'index'`: integer labels in `[0, numClasses)`, rows of a learned embedding table (diffusers'
 *   `num_class_embeds`; the Stable Diffusion x4 upscaler feeds its noise level this way).
 * - `'timestep'`: numbers embedded like timesteps (sinusoidal projection, then an MLP).
 * - `'vector'`: float vectors of width `dim` (`[N, dim]` tensors), projected or added as they are.
 */
export type DenoiserClassConditioning =
  | {
      /** Integer labels, rows of an embedding table. */
      readonly kind: 'index';
      /** Rows of the table: labels must lie in `[0, numClasses)`. */
      readonly numClasses: number;
    }
  | {
      /** Numbers embedded like timesteps. */
      readonly kind: 'timestep';
    }
  | {
      /** Float vectors, `[N, dim]`. */
      readonly kind: 'vector';
      /** Width of each label vector. */
      readonly dim: number;
    };

/** Optional inputs of {@link Denoiser.forward} beyond the sample, timestep and context. */
export interface DenoiserForwardOptions {
  /**
   * Class labels, as {@link Denoiser.classConditioning} describes. Required when the denoiser
   * has `classConditioning`; a denoiser without it refuses them (it would ignore them otherwise).
   */
  readonly classLabels?: DenoiserClassLabels;
}

/**
 * A noise-prediction network (for example `UNet2DConditionModel` from `@yonos/unet`).
 * What it predicts (epsilon, v or x0) is the scheduler's `prediction_type`.
 */
export interface Denoiser {
  /** Channels the network takes (8 in YONOS-SR: noisy latent + LR latent). */
  readonly inChannels: number;
  /** Channels the network outputs (4 for SD latents). */
  readonly outChannels: number;
  /**
   * Spatial downsampling from the sample to the network's coarsest level (`2^(levels - 1)` for
   * a U-Net, 1 for a network that keeps the resolution): sample sides that are multiples of it
   * pass through without resizing, so pipelines pad latents to multiples of it.
   */
  readonly downsampleFactor: number;
  /**
   * Width of the cross-attention context when the network expects one
   * (`cross_attention_dim`); `undefined` for networks without text conditioning.
   */
  readonly crossAttentionDim?: number | undefined;
  /**
   * Set when the network needs class labels in every {@link Denoiser.forward} call
   * ({@link DenoiserForwardOptions.classLabels}), and says which kind; `undefined` for networks
   * without class conditioning (which refuse labels).
   */
  readonly classConditioning?: DenoiserClassConditioning | undefined;
  /**
   * One evaluation.
   * @param sample NHWC `[N, h, w, inChannels]`, float32.
   * @param timestep Diffusion timestep(s) in `[0, numTrainTimesteps)`: one number for the batch, or a `[N]` tensor.
   * @param encoderHiddenStates `[N, L, crossAttentionDim]` context; required when `crossAttentionDim` is set.
   * @param options `classLabels`: required when {@link Denoiser.classConditioning} is set, refused otherwise.
   * @returns NHWC `[N, h, w, outChannels]`, float32.
   */
  forward(sample: tf.Tensor4D, timestep: number | tf.Tensor1D, encoderHiddenStates?: tf.Tensor3D, options?: DenoiserForwardOptions): tf.Tensor4D;
  /**
   * The peak tensor memory of one {@link Denoiser.forward} on a sample `[N, h, w, inChannels]`,
   * in bytes: what `tf.memory().numBytes` rises to during the call above its value at the call
   * (the output counts; the sample, the context and the weights do not), plus what the backend
   * keeps after it. Pipelines size their tiles with it, so it should bound the measured peak
   * from above without being far off (a model package computes it beside its FLOP counter).
   * @param sample `[N, h, w]` of the sample.
   */
  estimateMemory(sample: SpatialShape, options?: DenoiserMemoryOptions): DenoiserMemory;
}
