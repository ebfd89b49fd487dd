/**
 * `@yonos/vae`: diffusers' `AutoencoderKL` (the Stable Diffusion VAE) and `AutoencoderTiny`
 * (TAESD) on TensorFlow.js, NHWC, loading and saving diffusers checkpoints. Both implement
 * `LatentCodec` of `@yonos/core`. The modules they are built from (their attribute tree) are
 * in `@yonos/vae/modules`.
 * @module \@yonos/vae
 */
export { AutoencoderKL } from './autoencoder-kl.js';
export type { AutoencoderKLForwardOptions } from './autoencoder-kl.js';
export { AutoencoderTiny } from './autoencoder-tiny.js';
export type { AutoencoderTinyInitializeOptions } from './autoencoder-tiny.js';
export { VaeConfigError, VaeInputError } from './errors.js';

// Configs: diffusers' `config.json` keys, checked with zod.
export { VAE_ACTIVATIONS, VAE_DOWN_BLOCK_TYPES, VAE_UP_BLOCK_TYPES, autoencoderKLConfigSchema, parseAutoencoderKLConfig } from './config.js';
export type { AutoencoderKLConfig, AutoencoderKLConfigInput } from './config.js';
export { TINY_UPSAMPLE_MODES, autoencoderTinyConfigSchema, parseAutoencoderTinyConfig } from './tiny-config.js';
export type { AutoencoderTinyConfig, AutoencoderTinyConfigInput } from './tiny-config.js';
export { AUTOENCODER_TINY_INIT_SCHEMES } from './tiny-init.js';
export type { AutoencoderTinyInitScheme } from './tiny-init.js';

// Costs: FLOPs and peak tensor memory of a forward pass, from the config alone.
export { autoencoderKLFlops } from './flops.js';
export type { AutoencoderKLFlops } from './flops.js';
export { autoencoderTinyFlops } from './tiny-flops.js';
export type { AutoencoderTinyFlops } from './tiny-flops.js';
export { autoencoderKLMemory, autoencoderTinyMemory } from './memory.js';

import './register.js';
