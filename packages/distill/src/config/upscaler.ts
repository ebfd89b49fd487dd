import { z } from 'zod';
import { nonNegativeInt, path, positiveInt } from './common.js';

/**
 * A Stable Diffusion x4 upscaler folder (diffusers' `StableDiffusionUpscalePipeline`:
 * `model_index.json`, `unet/`, `vae/`, `scheduler/`, `low_res_scheduler/`) as the one-step model
 * of decoder fine-tuning: its VAE decoder is fine-tuned, its U-Net stays frozen.
 */
export const upscalerSourceSchema = z.strictObject({
  /** The folder, or its `https://.../resolve/main/` URL (relative paths are relative to the config file). */
  pretrained: path(),
  /** Weights variant: reads `diffusion_pytorch_model.<variant>.safetensors` (e.g. `"fp16"`). */
  variant: z.string({ error: 'must be a string such as "fp16"' }).optional(),
});

/** Where the upscaler comes from (see {@link upscalerSourceSchema}). */
export type UpscalerSource = z.output<typeof upscalerSourceSchema>;

/**
 * How an upscaler's denoising steps are placed: `yonos`, as YONOS samples (DDIM on the
 * folder's noise schedule, trailing timesteps, the last step onto `z_0`); `model`, the folder's
 * scheduler as it is. The values of `upscaler.schedule` and of `yonos upscale --schedule`.
 */
export const UPSCALER_SCHEDULES = ['yonos', 'model'] as const;

/** One of {@link UPSCALER_SCHEDULES}. */
export type UpscalerSchedule = (typeof UPSCALER_SCHEDULES)[number];

/**
 * How the x4 upscaler makes the one-step latents the decoder learns to decode: the options of
 * `yonos upscale` on an upscaler folder, with the same defaults, so the decoder is tuned on
 * what the command runs. `upscalerRunSchema.parse({})` gives the defaults.
 */
export const upscalerRunSchema = z.strictObject({
  /**
   * A `.safetensors` file (path or URL) with `prompt_embeds` and, for guidance, `negative_prompt_embeds`.
   * Default: the folder's own (`prompt_embeddings` in its `model_index.json`).
   */
  prompt_embeds: path().optional(),
  /** Noise added to the low-res image, an integer up to the folder's `max_noise_level`; also the U-Net's class label (default 20, diffusers'). */
  noise_level: nonNegativeInt().default(20),
  /** Classifier-free guidance weight, >= 1 (default: 9, diffusers', when the embeddings hold `negative_prompt_embeds`, else 1). */
  guidance_scale: z.number({ error: 'expected a number' }).min(1, { error: 'must be >= 1 (1: no guidance)' }).optional(),
  /** Denoising steps (default 1, as YONOS samples). */
  steps: positiveInt().default(1),
  /**
   * `"yonos"` (default): DDIM on the folder's noise schedule with trailing timesteps and the
   * last step onto `z_0`, so one step denoises once from pure noise at t = 999; `"model"`: the
   * folder's scheduler as is (the x4 upscaler's leading spacing, with which one step would
   * denoise at t = 1 only).
   */
  schedule: z.literal(UPSCALER_SCHEDULES, { error: 'must be "yonos" or "model"' }).default('yonos'),
});

/** The `upscaler` entry of a decoder config, defaults filled in (see {@link upscalerRunSchema}). */
export type UpscalerRunConfig = z.output<typeof upscalerRunSchema>;
