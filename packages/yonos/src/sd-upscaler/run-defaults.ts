import type { PromptEmbeddings } from '@yonos/sampler';

/** The noise level of an upscaler run when none is given: diffusers' default, 20. */
export const DEFAULT_UPSCALER_NOISE_LEVEL = 20;

/** diffusers' default guidance scale of `StableDiffusionUpscalePipeline`. */
const DIFFUSERS_GUIDANCE_SCALE = 9;

/**
 * The guidance scale of an upscaler run when none is given: diffusers' 9 when the prompt
 * embeddings hold a negative prompt (classifier-free guidance needs one), else 1 (no guidance,
 * the U-Net runs once per step).
 */
export function defaultGuidanceScale(embeddings: PromptEmbeddings | undefined): number {
  return embeddings?.negativePromptEmbeds !== undefined ? DIFFUSERS_GUIDANCE_SCALE : 1;
}
