import { DDIMScheduler, DDPMScheduler } from '../schedulers/index.js';

/**
 * The denoising scheduler config of Stable Diffusion's x4 upscaler
 * (`stabilityai/stable-diffusion-x4-upscaler`, `scheduler/scheduler_config.json`, the keys
 * `DDIMScheduler` reads): v-prediction on the scaled-linear 0.0001..0.02 schedule, `leading`
 * spacing with `steps_offset` 1, no clipping, and alpha_bar_0 after the last step.
 */
export const X4_UPSCALER_SCHEDULER_CONFIG = Object.freeze({
  /** Length of the training noise schedule. */
  num_train_timesteps: 1000,
  /** Beta at t = 0 (before the square-root interpolation of `scaled_linear`). */
  beta_start: 0.0001,
  /** Beta at t = 999. */
  beta_end: 0.02,
  /** Betas interpolated linearly in square-root space, then squared. */
  beta_schedule: 'scaled_linear',
  /** The U-Net predicts v. */
  prediction_type: 'v_prediction',
  /** `0, r, 2r, ...` plus `steps_offset`: one step denoises at t = 1. */
  timestep_spacing: 'leading',
  /** Added to the leading timesteps. */
  steps_offset: 1,
  /** Latents are not clipped. */
  clip_sample: false,
  /** The step after the last uses alpha_bar_0. */
  set_alpha_to_one: false,
} as const);

/**
 * The x4 upscaler's `low_res_scheduler/scheduler_config.json` (`DDPMScheduler`): the same
 * betas; only its `addNoise` is used, to noise the low-res image by the noise level.
 */
export const X4_UPSCALER_LOW_RES_SCHEDULER_CONFIG = Object.freeze({
  /** Length of the training noise schedule. */
  num_train_timesteps: 1000,
  /** Beta at t = 0. */
  beta_start: 0.0001,
  /** Beta at t = 999. */
  beta_end: 0.02,
  /** Betas interpolated linearly in square-root space, then squared. */
  beta_schedule: 'scaled_linear',
  /** As the checkpoint's config (unused by `addNoise`). */
  prediction_type: 'epsilon',
  /** As the checkpoint's config (unused by `addNoise`). */
  clip_sample: true,
  /** As the checkpoint's config (unused by `addNoise`). */
  variance_type: 'fixed_small',
} as const);

/** A new `DDIMScheduler` with {@link X4_UPSCALER_SCHEDULER_CONFIG}. */
export function x4UpscalerScheduler(): DDIMScheduler {
  return new DDIMScheduler(X4_UPSCALER_SCHEDULER_CONFIG);
}

/** A new `DDPMScheduler` with {@link X4_UPSCALER_LOW_RES_SCHEDULER_CONFIG}. */
export function x4UpscalerLowResScheduler(): DDPMScheduler {
  return new DDPMScheduler(X4_UPSCALER_LOW_RES_SCHEDULER_CONFIG);
}
