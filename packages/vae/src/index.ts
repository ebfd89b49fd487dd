/**
 * `@yonos/vae`: diffusers' `AutoencoderKL` (the Stable Diffusion VAE) on TensorFlow.js,
 * NHWC, loading and saving diffusers checkpoints. Implements `LatentCodec` of `@yonos/core`.
 * @packageDocumentation
 */
export { AutoencoderKL } from './autoencoder-kl.js';
export type { AutoencoderKLForwardOptions } from './autoencoder-kl.js';
export { DiagonalGaussianDistribution, LOGVAR_MAX, LOGVAR_MIN } from './posterior.js';
export {
  autoencoderKLConfigSchema,
  parseAutoencoderKLConfig,
  VAE_ACTIVATIONS,
  VAE_DOWN_BLOCK_TYPES,
  VAE_UP_BLOCK_TYPES,
} from './config.js';
export type { AutoencoderKLConfig, AutoencoderKLConfigInput } from './config.js';
export { Encoder } from './encoder.js';
export type { EncoderOptions } from './encoder.js';
export { Decoder } from './decoder.js';
export type { DecoderOptions } from './decoder.js';
export { DownEncoderBlock2D, UNetMidBlock2D, UpDecoderBlock2D } from './blocks.js';
export type { DownEncoderBlock2DOptions, UNetMidBlock2DOptions, UpDecoderBlock2DOptions, VaeBlockOptions } from './blocks.js';
export { autoencoderKLFlops } from './flops.js';
export type { AutoencoderKLFlops } from './flops.js';
export { VaeConfigError, VaeInputError } from './errors.js';
import './register.js';
