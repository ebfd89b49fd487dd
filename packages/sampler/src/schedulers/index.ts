export {
  BETA_SCHEDULES,
  alphasCumprod,
  betasForAlphaBar,
  linearBetas,
  rescaleZeroTerminalSnr,
  scaledLinearBetas,
  signalToNoiseRatio,
  squaredcosCapV2Betas,
  type AlphaTransform,
  type BetaSchedule,
} from './beta-schedules.js';
export {
  DDIM_DEFAULT_CONFIG,
  DIFFUSERS_VERSION,
  PREDICTION_TYPES,
  parseDDIMSchedulerConfig,
  toDDIMSchedulerConfigJson,
  type DDIMSchedulerConfig,
  type DDIMSchedulerConfigInput,
  type DDIMSchedulerConfigJson,
  type ParseConfigOptions,
} from './config.js';
export { DDIMScheduler, type DDIMStepOptions } from './ddim-scheduler.js';
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
export {
  TIMESTEP_SPACINGS,
  spaceTimesteps,
  type TimestepSpacing,
  type TimestepSpacingOptions,
} from './timestep-spacing.js';
