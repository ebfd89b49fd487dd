import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';

/**
 * The diagonal Gaussian a latent codec's encoder outputs (diffusers'
 * `DiagonalGaussianDistribution`). Owns its tensors: call {@link LatentPosterior.dispose}.
 */
export interface LatentPosterior {
  /** NHWC `[N, h, w, C]`, float32: the mean of the latent (unscaled). */
  readonly mean: tf.Tensor4D;
  /** NHWC `[N, h, w, C]`, float32: log-variance, clamped to `[-30, 20]`. */
  readonly logvar: tf.Tensor4D;
  /** A draw `mean + exp(logvar / 2) * noise`, the noise from `rng`. NHWC `[N, h, w, C]`. */
  sample(rng: Rng): tf.Tensor4D;
  /** The mode (equal to the mean). NHWC `[N, h, w, C]`. */
  mode(): tf.Tensor4D;
  /** KL divergence to the standard normal, summed over h, w, C: shape `[N]`. */
  kl(): tf.Tensor1D;
  /** Frees `mean` and `logvar`. */
  dispose(): void;
}

/**
 * Anything that maps images to latents and back (for example `AutoencoderKL` from
 * `@yonos/vae`). The pipeline and the trainers depend on this, not on a concrete VAE.
 */
export interface LatentCodec {
  /** Channels of a latent (4 for Stable Diffusion). */
  readonly latentChannels: number;
  /** Spatial downsampling between image and latent (8 for Stable Diffusion). */
  readonly downsampleFactor: number;
  /** Multiply a latent by this before diffusion (`scaling_factor`, 0.18215 for SD 1.x/2.x). */
  readonly scalingFactor: number;
  /** Subtract this before scaling (`shift_factor`); 0 when the model has none. */
  readonly shiftFactor: number;
  /** Encode an NHWC image in `[-1, 1]`, `[N, H, W, 3]`, to its posterior over `[N, H/f, W/f, C]`. */
  encode(image: tf.Tensor4D): LatentPosterior;
  /** Decode an unscaled latent `[N, h, w, C]` to an NHWC image `[N, h*f, w*f, 3]`, nominally in `[-1, 1]` (not clamped). */
  decode(latent: tf.Tensor4D): tf.Tensor4D;
}
