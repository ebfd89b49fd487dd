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
 * Batch, height and width of an NHWC tensor: the size a memory estimate is asked for
 * ({@link LatentCodec.estimateMemory}, {@link Denoiser.estimateMemory}).
 */
export type SpatialShape = readonly [batch: number, height: number, width: number];

/** Options of the models' `estimateMemory` ({@link LatentCodec.estimateMemory}, `Denoiser.estimateMemory`). */
export interface MemoryEstimateOptions {
  /**
   * The tfjs backend the model runs on (`tf.getBackend()`), for the `*Retained` bytes: only
   * `wasm` keeps memory outside tensors that grows with the input. Default: as on `wasm`.
   */
  readonly backend?: string;
}

/**
 * Memory of a codec's two operations on one image size, in bytes
 * ({@link LatentCodec.estimateMemory}).
 */
export interface LatentCodecMemory {
  /** Peak tensor memory of {@link LatentCodec.encode} of the image, its posterior (mean and log-variance) included. */
  readonly encode: number;
  /** Peak tensor memory of {@link LatentCodec.decode} of the image's latent, the decoded image included. */
  readonly decode: number;
  /**
   * Bytes the backend keeps after `encode`, outside tensors, until the model is disposed (the
   * wasm backend's XNNPACK keeps a buffer per convolution sized for the largest input it has
   * seen); they add up over calls of different layers and persist across runs. 0 when omitted.
   */
  readonly encodeRetained?: number;
  /** The same for `decode`. 0 when omitted. */
  readonly decodeRetained?: number;
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
  /**
   * Multiply a latent by this before diffusion (`scaling_factor`, 0.18215 for SD 1.x/2.x): latent
   * scaling, not an upscaling factor (a pipeline's is its `scale`).
   */
  readonly scalingFactor: number;
  /** Subtract this before scaling (`shift_factor`); 0 when the model has none. */
  readonly shiftFactor: number;
  /** Encode an NHWC image in `[-1, 1]`, `[N, H, W, 3]`, to its posterior over `[N, H/f, W/f, C]`. */
  encode(image: tf.Tensor4D): LatentPosterior;
  /** Decode an unscaled latent `[N, h, w, C]` to an NHWC image `[N, h*f, w*f, 3]`, nominally in `[-1, 1]` (not clamped). */
  decode(latent: tf.Tensor4D): tf.Tensor4D;
  /**
   * The peak tensor memory of {@link LatentCodec.encode} of an image `[N, H, W, 3]` and of
   * {@link LatentCodec.decode} of its latent `[N, H/f, W/f, C]`, in bytes, plus what the
   * backend keeps after each. "Peak" is what `tf.memory().numBytes` rises to during the call
   * above its value at the call: the output counts, the input and the weights do not.
   * (`numBytes` counts reshaped views and clones as copies, so it bounds the backend's own
   * tensor memory from above.) Pipelines size their tiles with it, so it should bound the
   * measured peak from above without being far off (a model package computes it beside its
   * FLOP counter).
   * @param image `[N, H, W]` of the image (the encode input, the decode output).
   */
  estimateMemory(image: SpatialShape, options?: MemoryEstimateOptions): LatentCodecMemory;
}
