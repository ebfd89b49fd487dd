import { DDIMScheduler } from '../schedulers/index.js';

/**
 * The scheduler config a YONOS model is trained and sampled with: Stable Diffusion's
 * `scaled_linear` schedule (0.00085..0.012, 1000 steps), v-prediction, and `trailing`
 * spacing so that a single step starts from t = 999 (pure noise), with `clip_sample` off as
 * for latents. `set_alpha_to_one` makes the last step land on the predicted `z_0` itself
 * (no leftover noise), which is what a one-step model and decoder fine-tuning rely on. diffusers keys, as in `scheduler/scheduler_config.json`.
 */
export const YONOS_SCHEDULER_CONFIG = Object.freeze({
  /** Length of the training noise schedule; timesteps run from 0 to 999. */
  num_train_timesteps: 1000,
  /** Beta at t = 0 (before the square-root interpolation of `scaled_linear`). */
  beta_start: 0.00085,
  /** Beta at t = 999. */
  beta_end: 0.012,
  /** Betas interpolated linearly in square-root space, then squared (Stable Diffusion's schedule). */
  beta_schedule: 'scaled_linear',
  /** The U-Net predicts v = sqrt(alpha_bar) * noise - sqrt(1 - alpha_bar) * x0. */
  prediction_type: 'v_prediction',
  /** Timesteps counted back from the end, so one step starts at t = 999. */
  timestep_spacing: 'trailing',
  /** Offset added to the inference timesteps (diffusers' SD default; `trailing` spacing ignores it). */
  steps_offset: 1,
  /** No clipping of the predicted sample: latents are not bounded to [-1, 1]. */
  clip_sample: false,
  /** The final step uses alpha_bar = 1, returning the predicted clean latent. */
  set_alpha_to_one: true,
} as const);

/** A new `DDIMScheduler` with {@link YONOS_SCHEDULER_CONFIG}. */
export function defaultYonosScheduler(): DDIMScheduler {
  return new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
}
