import { DDPM_BETA_SCHEDULES } from './beta-schedules.js';
import { PREDICTION_TYPES, type ParseConfigOptions } from './config.js';
import { ConfigFields, configRecord, parseTrainedBetas, sortedConfigJson } from './config-fields.js';
import type { DiffusionSchedulerConfigCore, SchedulerConfigInput, SchedulerConfigJson } from './scheduler-config-types.js';
import { TIMESTEP_SPACINGS } from './timestep-spacing.js';

/**
 * The variance of DDPM's reverse step p(x_{t-1} | x_t) (diffusers' `variance_type`), with
 * `beta~ = (1 - abar_{t-1}) / (1 - abar_t) * beta_t` (the posterior's) and `beta_t`:
 * - `'fixed_small'`: `beta~` (DDPM's sigma^2 = beta~ choice; Stable Diffusion's x4 upscaler uses it);
 * - `'fixed_small_log'`: the same, taken through its log;
 * - `'fixed_large'`: `beta_t`;
 * - `'fixed_large_log'`: `beta_t`, taken through its log;
 * - `'learned'`: the model predicts the variance itself (a second half of its channels);
 * - `'learned_range'`: the model predicts `v` in [-1, 1] and the log-variance is
 *   `(v + 1) / 2 * log(beta_t) + (1 - v) / 2 * log(beta~)` (improved DDPM).
 */
export type DDPMVarianceType =
  | 'fixed_small'
  | 'fixed_small_log'
  | 'fixed_large'
  | 'fixed_large_log'
  | 'learned'
  | 'learned_range';

/** Every {@link DDPMVarianceType}, for validation and documentation. */
export const DDPM_VARIANCE_TYPES: readonly DDPMVarianceType[] = [
  'fixed_small',
  'fixed_small_log',
  'fixed_large',
  'fixed_large_log',
  'learned',
  'learned_range',
];

/**
 * A complete `DDPMScheduler` configuration with diffusers' key names and meanings, so a
 * `scheduler_config.json` (for example the x4 upscaler's `low_res_scheduler/`) moves between
 * diffusers and YONOS unchanged.
 */
export interface DDPMSchedulerConfig extends DiffusionSchedulerConfigCore {
  /** The reverse step's variance. Default `'fixed_small'`. */
  readonly variance_type: DDPMVarianceType;
}

/**
 * What {@link DDPMSchedulerConfig} keys a caller may give: any subset (the rest take
 * diffusers' defaults), plus diffusers' bookkeeping keys.
 */
export type DDPMSchedulerConfigInput = SchedulerConfigInput<DDPMSchedulerConfig>;

/** The object `DDPMScheduler.toConfig()` returns: a complete config as diffusers writes `scheduler_config.json`. */
export type DDPMSchedulerConfigJson = SchedulerConfigJson<DDPMSchedulerConfig, 'DDPMScheduler'>;

/** diffusers 0.25 `DDPMScheduler.__init__` defaults. */
export const DDPM_DEFAULT_CONFIG: DDPMSchedulerConfig = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  variance_type: 'fixed_small',
  clip_sample: true,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  clip_sample_range: 1.0,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
});

/**
 * Validates a diffusers `DDPMScheduler` `scheduler_config.json` object (or part of one) and
 * fills in diffusers' defaults for missing keys (`trained_betas` may also be `null`).
 * @param raw Parsed JSON, for example `low_res_scheduler/scheduler_config.json` of the x4 upscaler.
 * @throws SchedulerConfigError naming the offending key and what it accepts; for unknown keys when `strict`.
 */
export function parseDDPMSchedulerConfig(raw: unknown, options: ParseConfigOptions = {}): DDPMSchedulerConfig {
  const cfg = configRecord(raw, 'DDPMScheduler', Object.keys(DDPM_DEFAULT_CONFIG), options.strict === true);
  const f = new ConfigFields(cfg, DDPM_DEFAULT_CONFIG);
  const numTrain = f.num('num_train_timesteps', 'a positive integer', (v) => Number.isInteger(v) && v >= 1);
  const unit = (v: number) => v >= 0 && v <= 1;
  return Object.freeze({
    num_train_timesteps: numTrain,
    beta_start: f.num('beta_start', 'a number in [0, 1]', unit),
    beta_end: f.num('beta_end', 'a number in [0, 1]', unit),
    beta_schedule: f.oneOf('beta_schedule', DDPM_BETA_SCHEDULES),
    trained_betas: parseTrainedBetas(cfg.trained_betas, numTrain),
    variance_type: f.oneOf('variance_type', DDPM_VARIANCE_TYPES),
    clip_sample: f.bool('clip_sample'),
    prediction_type: f.oneOf('prediction_type', PREDICTION_TYPES),
    thresholding: f.bool('thresholding'),
    dynamic_thresholding_ratio: f.num('dynamic_thresholding_ratio', 'a number in (0, 1]', (v) => v > 0 && v <= 1),
    clip_sample_range: f.num('clip_sample_range', 'a number > 0', (v) => v > 0),
    sample_max_value: f.num('sample_max_value', 'a number > 0', (v) => v > 0),
    timestep_spacing: f.oneOf('timestep_spacing', TIMESTEP_SPACINGS),
    steps_offset: f.num('steps_offset', `an integer in [0, ${numTrain - 1}]`, (v) => Number.isInteger(v) && v >= 0 && v < numTrain),
    rescale_betas_zero_snr: f.bool('rescale_betas_zero_snr'),
  });
}

/**
 * The config as diffusers' `save_config` writes it: `_class_name`, `_diffusers_version`,
 * then every key, sorted.
 * @param config A validated config (from {@link parseDDPMSchedulerConfig}).
 * @returns A fresh plain object, ready for `JSON.stringify(config, null, 2)`.
 */
export function toDDPMSchedulerConfigJson(config: DDPMSchedulerConfig): DDPMSchedulerConfigJson {
  return sortedConfigJson('DDPMScheduler', config);
}
