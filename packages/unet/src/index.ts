/**
 * `@yonos/unet`: diffusers' `UNet2DConditionModel` (Stable Diffusion 1.x / 2.x) and
 * `UNet2DModel` on TensorFlow.js, NHWC, with diffusers' config keys and parameter names so
 * checkpoints move both ways. The modules they are built from (their attribute tree) are in
 * `@yonos/unet/modules`.
 * @module \@yonos/unet
 */
export { UNet2DConditionModel } from './unet-2d-condition.js';
export { UNet2DModel } from './unet-2d.js';
export { UnetClassLabelError, UnetConfigError, UnetInputError } from './errors.js';
export type { TimestepInput } from './timestep.js';
export { DEFAULT_NUM_TRAIN_TIMESTEPS } from './input-checks.js';
export type { UNetInputValidation } from './input-checks.js';

// Configs (diffusers' `config.json` keys, checked with zod) and the plans the models resolve them to.
export {
  parseUNet2DConditionConfig,
  parseUNet2DConfig,
  resolveUNet2DConditionConfig,
  resolveUNet2DConfig,
  unet2DConditionConfigSchema,
  unet2DConfigSchema,
} from './config/index.js';
export type {
  ClassEmbedType,
  ClassEmbeddingPlan,
  ConditionDownBlockType,
  ConditionLevelPlan,
  ConditionUpBlockType,
  LevelPlan,
  UNet2DConditionConfig,
  UNet2DConditionConfigInput,
  UNet2DConditionPlan,
  UNet2DConfig,
  UNet2DConfigInput,
  UNet2DPlan,
  Unet2DDownBlockType,
  Unet2DLevelPlan,
  Unet2DUpBlockType,
} from './config/index.js';

// Costs: FLOPs and peak tensor memory of a forward pass, from the config alone.
export { unetFlops } from './flops.js';
export type { UNetFlops, UNetFlopsInput } from './flops.js';
export { unetMemory } from './memory.js';
export type { UNetMemoryInput } from './memory.js';

import './register.js';
