export {
  BETA_SCHEDULES,
  DDPM_BETA_SCHEDULES,
  alphasCumprod,
  betasForAlphaBar,
  betasFromConfig,
  linearBetas,
  rescaleZeroTerminalSnr,
  scaledLinearBetas,
  sigmoidBetas,
  signalToNoiseRatio,
  squaredcosCapV2Betas,
  type AlphaTransform,
  type BetaSchedule,
  type BetaScheduleConfig,
  type DDPMBetaSchedule,
} from './beta-schedules.js';
export {
  DDIM_DEFAULT_CONFIG,
  PREDICTION_TYPES,
  parseDDIMSchedulerConfig,
  toDDIMSchedulerConfigJson,
  type DDIMSchedulerConfig,
  type DDIMSchedulerConfigInput,
  type DDIMSchedulerConfigJson,
  type ParseConfigOptions,
} from './config.js';
export { DDIMScheduler, type DDIMStepOptions } from './ddim-scheduler.js';
export {
  DDPM_DEFAULT_CONFIG,
  DDPM_VARIANCE_TYPES,
  parseDDPMSchedulerConfig,
  toDDPMSchedulerConfigJson,
  type DDPMSchedulerConfig,
  type DDPMSchedulerConfigInput,
  type DDPMSchedulerConfigJson,
  type DDPMVarianceType,
} from './ddpm-config.js';
export { DDPMScheduler, type DDPMStepOptions } from './ddpm-scheduler.js';
export { DiffusionSchedulerBase, checkConfigObject } from './diffusion-scheduler-base.js';
export { dynamicThreshold } from './dynamic-threshold.js';
export { SchedulerConfigError, SchedulerUsageError } from './errors.js';
export {
  epsilonFromV,
  epsilonFromX0,
  noisySampleFrom,
  predictionTarget,
  predictionToEpsilon,
  predictionToX0,
  vFrom,
  x0FromEpsilon,
  x0FromV,
  type AlphaProd,
} from './prediction.js';
export type {
  DiffusionSchedulerConfigCore,
  SchedulerConfigInput,
  SchedulerConfigJson,
} from './scheduler-config-types.js';
export {
  TIMESTEP_SPACINGS,
  spaceTimesteps,
  type TimestepSpacing,
  type TimestepSpacingOptions,
} from './timestep-spacing.js';
