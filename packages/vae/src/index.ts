/**
 * `@yonos/vae`: diffusers' `AutoencoderKL` (the Stable Diffusion VAE) and `AutoencoderTiny`
 * (TAESD) on TensorFlow.js, NHWC, loading and saving diffusers checkpoints. Both implement
 * `LatentCodec` of `@yonos/core`.
 * @packageDocumentation
 */
export { AutoencoderKL } from './autoencoder-kl.js';
export type { AutoencoderKLForwardOptions } from './autoencoder-kl.js';
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
export { DownEncoderBlock2D, UpDecoderBlock2D } from './blocks.js';
export type { DownEncoderBlock2DOptions, UpDecoderBlock2DOptions, VaeBlockOptions } from './blocks.js';
export { autoencoderKLFlops } from './flops.js';
export { autoencoderKLMemory, autoencoderTinyMemory } from './memory.js';
export type { AutoencoderKLFlops } from './flops.js';
export { AutoencoderTiny } from './autoencoder-tiny.js';
export type { AutoencoderTinyInitializeOptions } from './autoencoder-tiny.js';
export { autoencoderTinyConfigSchema, parseAutoencoderTinyConfig, TINY_UPSAMPLE_MODES } from './tiny-config.js';
export type { AutoencoderTinyConfig, AutoencoderTinyConfigInput } from './tiny-config.js';
export { EncoderTiny } from './tiny-encoder.js';
export type { EncoderTinyOptions } from './tiny-encoder.js';
export { DecoderTiny } from './tiny-decoder.js';
export type { DecoderTinyOptions } from './tiny-decoder.js';
export { AutoencoderTinyBlock } from './tiny-block.js';
export { Activation, Sequential, Upsample } from './tiny-layers.js';
export type { SequentialLayer } from './tiny-layers.js';
export { DeterministicPosterior } from './deterministic-posterior.js';
export { AUTOENCODER_TINY_INIT_SCHEMES, POOLING_LATENT_GAIN, applyPoolingInit, checkPoolingInit } from './tiny-init.js';
export type { AutoencoderTinyInitScheme } from './tiny-init.js';
export { autoencoderTinyFlops } from './tiny-flops.js';
export type { AutoencoderTinyFlops } from './tiny-flops.js';
export { VaeConfigError, VaeInputError } from './errors.js';
import './register.js';
