import type { PredictionType } from '@yonos/core';
import { BETA_SCHEDULES, type BetaSchedule } from './beta-schedules.js';
import { ConfigFields, configRecord, parseTrainedBetas, sortedConfigJson } from './config-fields.js';
import { SchedulerConfigError } from './errors.js';
import type { DiffusionSchedulerConfigCore, SchedulerConfigInput, SchedulerConfigJson } from './scheduler-config-types.js';
import { TIMESTEP_SPACINGS } from './timestep-spacing.js';

/** Every {@link PredictionType}, for validation and documentation. */
export const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];

/**
 * A complete `DDIMScheduler` configuration with diffusers' key names and meanings, so a
 * `scheduler/scheduler_config.json` moves between diffusers and YONOS unchanged. Stable
 * Diffusion's differs from the defaults: `scaled_linear` betas from 0.00085 to 0.012,
 * `clip_sample: false`, `set_alpha_to_one: false`, `steps_offset: 1` (and `rescale_betas_zero_snr`
 * pairs with `v_prediction`).
 */
export interface DDIMSchedulerConfig extends DiffusionSchedulerConfigCore {
  /** How betas are generated. Default `'linear'` (Stable Diffusion: `'scaled_linear'`). */
  readonly beta_schedule: BetaSchedule;
  /** Use alpha_bar = 1 after the last step (else alpha_bar_0). Default `true` (Stable Diffusion: `false`). */
  readonly set_alpha_to_one: boolean;
  /** Dynamic thresholding (Imagen). Only `false` is supported. */
  readonly thresholding: boolean;
}

/**
 * What {@link DDIMSchedulerConfig} keys a caller may give: any subset (the rest take
 * diffusers' defaults), plus diffusers' bookkeeping keys.
 */
export type DDIMSchedulerConfigInput = SchedulerConfigInput<DDIMSchedulerConfig>;

/** The object `toConfig()` returns: a complete config as diffusers writes `scheduler_config.json`. */
export type DDIMSchedulerConfigJson = SchedulerConfigJson<DDIMSchedulerConfig, 'DDIMScheduler'>;

/** diffusers 0.25 `DDIMScheduler.__init__` defaults. */
export const DDIM_DEFAULT_CONFIG: DDIMSchedulerConfig = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  clip_sample: true,
  clip_sample_range: 1.0,
  set_alpha_to_one: true,
  steps_offset: 0,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  rescale_betas_zero_snr: false,
});

/** Options of {@link parseDDIMSchedulerConfig}. */
export interface ParseConfigOptions {
  /**
   * Reject keys this scheduler does not know. Default `false`: like diffusers, other
   * schedulers' keys (for example PNDM's `skip_prk_steps` in Stable Diffusion's config) are ignored.
   */
  readonly strict?: boolean;
}

/**
 * Validates a diffusers `scheduler_config.json` object (or part of one) and fills in
 * diffusers' defaults for missing keys (`trained_betas` may also be `null`).
 * @param raw Parsed JSON, for example `JSON.parse(fs.readFileSync('scheduler/scheduler_config.json', 'utf8'))`.
 * @throws SchedulerConfigError naming the offending key and what it accepts; for
 *   `thresholding: true` (not supported); for unknown keys when `strict`.
 */
export function parseDDIMSchedulerConfig(raw: unknown, options: ParseConfigOptions = {}): DDIMSchedulerConfig {
  const cfg = configRecord(raw, 'DDIMScheduler', Object.keys(DDIM_DEFAULT_CONFIG), options.strict === true);
  const f = new ConfigFields(cfg, DDIM_DEFAULT_CONFIG);
  const numTrain = f.num('num_train_timesteps', 'a positive integer', (v) => Number.isInteger(v) && v >= 1);
  const unit = (v: number) => v >= 0 && v <= 1;
  const parsed: DDIMSchedulerConfig = {
    num_train_timesteps: numTrain,
    beta_start: f.num('beta_start', 'a number in [0, 1]', unit),
    beta_end: f.num('beta_end', 'a number in [0, 1]', unit),
    beta_schedule: f.oneOf('beta_schedule', BETA_SCHEDULES),
    trained_betas: parseTrainedBetas(cfg.trained_betas, numTrain),
    clip_sample: f.bool('clip_sample'),
    clip_sample_range: f.num('clip_sample_range', 'a number > 0', (v) => v > 0),
    set_alpha_to_one: f.bool('set_alpha_to_one'),
    steps_offset: f.num('steps_offset', `an integer in [0, ${numTrain - 1}]`, (v) => Number.isInteger(v) && v >= 0 && v < numTrain),
    prediction_type: f.oneOf('prediction_type', PREDICTION_TYPES),
    thresholding: f.bool('thresholding'),
    dynamic_thresholding_ratio: f.num('dynamic_thresholding_ratio', 'a number in (0, 1]', (v) => v > 0 && v <= 1),
    sample_max_value: f.num('sample_max_value', 'a number > 0', (v) => v > 0),
    timestep_spacing: f.oneOf('timestep_spacing', TIMESTEP_SPACINGS),
    rescale_betas_zero_snr: f.bool('rescale_betas_zero_snr'),
  };
  if (parsed.thresholding) {
    throw new SchedulerConfigError(
      'scheduler config "thresholding": true (dynamic thresholding) is not supported by DDIMScheduler here; ' +
        'set it to false (it is unsuitable for latent diffusion such as Stable Diffusion anyway).',
    );
  }
  return Object.freeze(parsed);
}

/**
 * The config as diffusers' `save_config` writes it: `_class_name`, `_diffusers_version`,
 * then every key, sorted (diffusers serializes with `sort_keys=True`).
 * @param config A validated config (from {@link parseDDIMSchedulerConfig}).
 * @returns A fresh plain object, ready for `JSON.stringify(config, null, 2)`.
 */
export function toDDIMSchedulerConfigJson(config: DDIMSchedulerConfig): DDIMSchedulerConfigJson {
  return sortedConfigJson('DDIMScheduler', config);
}
