import type * as tf from '@tensorflow/tfjs-core';

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
}
