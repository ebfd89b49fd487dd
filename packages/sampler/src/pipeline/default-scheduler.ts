import { DDIMScheduler } from '../schedulers/index.js';

/**
 * The scheduler config a YONOS model is trained and sampled with: Stable Diffusion's
 * `scaled_linear` schedule (0.00085..0.012, 1000 steps), v-prediction, and `trailing`
 * spacing so that a single step starts from t = 999 (pure noise), with `clip_sample` off as
 * for latents. `set_alpha_to_one` makes the last step land on the predicted `z_0` itself
 * (no leftover noise), which is what a one-step model and decoder fine-tuning rely on. diffusers keys, as in `scheduler/scheduler_config.json`.
 */
export const YONOS_SCHEDULER_CONFIG = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  prediction_type: 'v_prediction',
  timestep_spacing: 'trailing',
  steps_offset: 1,
  clip_sample: false,
  set_alpha_to_one: true,
} as const);

/** A new `DDIMScheduler` with {@link YONOS_SCHEDULER_CONFIG}. */
export function defaultYonosScheduler(): DDIMScheduler {
  return new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
}
