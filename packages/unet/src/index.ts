/**
 * `@yonos/unet`: diffusers' `UNet2DConditionModel` (Stable Diffusion 1.x / 2.x) and
 * `UNet2DModel` on TensorFlow.js, NHWC, with diffusers' config keys and parameter names so
 * checkpoints move both ways.
 * @packageDocumentation
 */
export { UNet2DConditionModel } from './unet-2d-condition.js';
export { UNet2DModel } from './unet-2d.js';
export { UnetClassLabelError, UnetConfigError, UnetInputError } from './errors.js';
export { Embedding } from './embedding.js';
export type { ClassEmbeddingModule } from './class-embedding.js';
export type { TimestepInput } from './timestep.js';
export { DEFAULT_NUM_TRAIN_TIMESTEPS } from './input-checks.js';
export type { UNetInputValidation } from './input-checks.js';
export * from './config/index.js';
export { Transformer2DModel } from './transformer-2d.js';
export type { Transformer2DOptions } from './transformer-2d.js';
export { BasicTransformerBlock } from './basic-transformer-block.js';
export type { BasicTransformerBlockOptions } from './basic-transformer-block.js';
export { FeedForward } from './feed-forward.js';
export * from './blocks/index.js';
export { unetFlops } from './flops.js';
export type { UNetFlops, UNetFlopsInput } from './flops.js';
export { unetMemory } from './memory.js';
export type { UNetMemoryInput } from './memory.js';
import './register.js';
