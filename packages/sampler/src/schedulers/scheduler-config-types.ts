import type { PredictionType } from '@yonos/core';
import type { BetaScheduleConfig } from './beta-schedules.js';
import type { TimestepSpacing } from './timestep-spacing.js';

/**
 * The config keys DDIM and DDPM share, with diffusers' names, meanings and (identical)
 * defaults: besides these, T = 1000 training timesteps, `linear` betas from 0.0001 to 0.02,
 * no `trained_betas` and no zero-terminal-SNR rescaling.
 */
export interface DiffusionSchedulerConfigCore extends BetaScheduleConfig {
  /** What the paired denoiser predicts. Default `'epsilon'`. */
  readonly prediction_type: PredictionType;
  /** How inference timesteps are spread. Default `'leading'`. */
  readonly timestep_spacing: TimestepSpacing;
  /** Added to `'leading'` timesteps, an integer in `[0, T)`. Default 0. */
  readonly steps_offset: number;
  /**
   * Clamp the predicted x0 to `[-clip_sample_range, clip_sample_range]` (unless `thresholding`).
   * Default `true` (use `false` for latents).
   */
  readonly clip_sample: boolean;
  /** Bound for `clip_sample`, > 0. Default 1. */
  readonly clip_sample_range: number;
  /** Dynamic thresholding of the predicted x0 (Imagen; not for latents). Default `false`. */
  readonly thresholding: boolean;
  /** Dynamic-thresholding percentile of `|x0|`, in (0, 1]. Default 0.995. */
  readonly dynamic_thresholding_ratio: number;
  /** Largest dynamic threshold, > 0. Default 1. */
  readonly sample_max_value: number;
}

/**
 * What a caller may give for a scheduler's config: any subset of its keys (the rest take
 * diffusers' defaults), plus diffusers' bookkeeping keys.
 * @typeParam Config The scheduler's complete config.
 */
export type SchedulerConfigInput<Config> = Partial<Config> & {
  /** The class that wrote the config; any scheduler class is accepted (diffusers' `from_config` behaviour). */
  readonly _class_name?: string;
  /** The diffusers version that wrote the config; informational. */
  readonly _diffusers_version?: string;
};

/**
 * A complete config as diffusers writes `scheduler_config.json`: every key, and the
 * bookkeeping keys naming the class and the format's version.
 * @typeParam Config The scheduler's complete config.
 * @typeParam ClassName diffusers' name of the scheduler class.
 */
export type SchedulerConfigJson<Config, ClassName extends string> = Config & {
  /** diffusers' class name, always `ClassName`. */
  readonly _class_name: ClassName;
  /** The diffusers version whose format is written (`DIFFUSERS_VERSION` of `@yonos/core`). */
  readonly _diffusers_version: string;
};
