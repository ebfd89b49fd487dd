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
 * A noise-prediction network (for example `UNet2DConditionModel` from `@yonos/unet`).
 * What it predicts (epsilon, v or x0) is the scheduler's `prediction_type`.
 */
export interface Denoiser {
  /** Channels the network takes (8 in YONOS-SR: noisy latent + LR latent). */
  readonly inChannels: number;
  /** Channels the network outputs (4 for SD latents). */
  readonly outChannels: number;
  /**
   * Width of the cross-attention context when the network expects one
   * (`cross_attention_dim`); `undefined` for networks without text conditioning.
   */
  readonly crossAttentionDim?: number;
  /**
   * One evaluation.
   * @param sample NHWC `[N, h, w, inChannels]`, float32.
   * @param timestep Diffusion timestep(s) in `[0, numTrainTimesteps)`: one number for the batch, or a `[N]` tensor.
   * @param encoderHiddenStates `[N, L, crossAttentionDim]` context; required when `crossAttentionDim` is set.
   * @returns NHWC `[N, h, w, outChannels]`, float32.
   */
  forward(sample: tf.Tensor4D, timestep: number | tf.Tensor1D, encoderHiddenStates?: tf.Tensor3D): tf.Tensor4D;
  /**
   * Optional: the peak tensor memory of one {@link Denoiser.forward} on a sample
   * `[N, h, w, inChannels]`, in bytes: what `tf.memory().numBytes` rises to during the call
   * above its value at the call (the output counts; the sample, the context and the weights
   * do not), plus what the backend keeps after it. Pipelines size their tiles with it; a
   * denoiser without it gets a conservative guess.
   * @param sample `[N, h, w]` of the sample.
   */
  estimateMemory?(sample: SpatialShape, options?: DenoiserMemoryOptions): DenoiserMemory;
}
