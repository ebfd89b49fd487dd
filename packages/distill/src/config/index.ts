export { TrainingConfigError } from './errors.js';
export {
  checkpointSchema,
  dataSchema,
  degradationSchema,
  diffusionLossSchema,
  emaSchema,
  modelSourceSchema,
  optimizerSchema,
  residualSchema,
  scaleSchema,
  validationSchema,
} from './common.js';
export type { DegradationConfig, DiffusionLossConfig, ModelSource } from './common.js';
export { diffusionLossOptions } from './diffusion-loss-options.js';
export { UPSCALER_SCHEDULES, upscalerRunSchema, upscalerSourceSchema } from './upscaler.js';
export type { UpscalerRunConfig, UpscalerSchedule, UpscalerSource } from './upscaler.js';
export {
  STAGE_CONFIG_SCHEMAS,
  decoderConfigSchema,
  distillConfigSchema,
  distillLinkSchema,
  srConfigSchema,
  teacherSchema,
  vaeConfigSchema,
} from './stages.js';
export type {
  DecoderTrainConfig,
  DistillTrainConfig,
  SrTrainConfig,
  TrainConfigs,
  TrainStageName,
  VaeTrainConfig,
} from './stages.js';
export { TRAIN_STAGES, parseTrainConfig, readTrainConfig } from './parse.js';
export type { ParseTrainConfigOptions } from './parse.js';
