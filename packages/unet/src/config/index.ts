export {
  unet2DConditionConfigSchema,
  parseUNet2DConditionConfig,
  normalizeUNet2DConditionConfig,
  resolveUNet2DConditionConfig,
} from './unet-2d-condition.js';
export type {
  UNet2DConditionConfig,
  UNet2DConditionConfigInput,
  UNet2DConditionPlan,
  ClassEmbeddingPlan,
  ClassEmbedType,
  ConditionLevelPlan,
  ConditionDownBlockType,
  ConditionUpBlockType,
} from './unet-2d-condition.js';
export type { LevelPlan } from './level-plan.js';
export { unet2DConfigSchema, parseUNet2DConfig, resolveUNet2DConfig } from './unet-2d.js';
export type { UNet2DConfig, UNet2DConfigInput, UNet2DPlan, Unet2DLevelPlan, Unet2DDownBlockType, Unet2DUpBlockType } from './unet-2d.js';
export { unetConfigFromWeights } from './from-weights.js';
export { classEmbeddingConfigFromWeights } from './class-from-weights.js';
