export type { LatentCodec, LatentCodecMemory, LatentPosterior, MemoryEstimateOptions, SpatialShape } from './latent-codec.js';
export type {
  Denoiser,
  DenoiserClassConditioning,
  DenoiserClassLabels,
  DenoiserForwardOptions,
  DenoiserMemory,
  DenoiserMemoryOptions,
} from './denoiser.js';
export type { NoiseScheduler, PredictionType, SchedulerStepOutput } from './scheduler.js';
export type { Degradation } from './degradation.js';
export type { ProgressCallback, ProgressEvent } from './progress.js';
export type { Rng, RngState } from '../random/rng.js';
