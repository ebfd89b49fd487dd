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
  PREDICTION_TYPES,
  parseDDIMSchedulerConfig,
  toDDIMSchedulerConfigJson,
  type DDIMSchedulerConfig,
  type DDIMSchedulerConfigInput,
  type DDIMSchedulerConfigJson,
  type ParseConfigOptions,
} from './config.js';
// Kept for code that imported it from here: the one constant core writes into every config.
export { DIFFUSERS_VERSION } from '@yonos/core';
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
