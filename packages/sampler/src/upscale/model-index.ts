import { DIFFUSERS_VERSION, PretrainedError } from '@yonos/core';
import { MODEL_INDEX_NAME, isComponentSpec, modelIndexJson, parseModelIndexObject } from '../pipeline/model-index.js';
import type { ComponentSpec } from '../pipeline/model-index.js';

/** `_class_name` of a Stable Diffusion x4 upscaler folder, as diffusers writes it. */
export const UPSCALE_PIPELINE_CLASS = 'StableDiffusionUpscalePipeline';

/** The components an upscaler folder must hold, each in the subfolder of the same name. */
export const UPSCALE_PIPELINE_COMPONENTS = ['scheduler', 'low_res_scheduler', 'unet', 'vae'] as const;
/** One of {@link UPSCALE_PIPELINE_COMPONENTS}. */
export type UpscaleComponentName = (typeof UPSCALE_PIPELINE_COMPONENTS)[number];

/**
 * The entries of a diffusers `StableDiffusionUpscalePipeline` `model_index.json` that are never
 * loaded: the text encoder and tokenizer (prompt embeddings are given instead), and the safety
 * checker, feature extractor and watermarker (not part of the upscaling).
 */
export const IGNORED_UPSCALE_COMPONENTS = ['text_encoder', 'tokenizer', 'safety_checker', 'feature_extractor', 'watermarker'] as const;

/** diffusers' default `max_noise_level` of the upscaler (its `__init__` default and the real checkpoint's). */
export const DEFAULT_MAX_NOISE_LEVEL = 350;

/**
 * The parsed `model_index.json` of a Stable Diffusion x4 upscaler folder, as diffusers'
 * `StableDiffusionUpscalePipeline.save_pretrained` writes it:
 * ```json
 * { "_class_name": "StableDiffusionUpscalePipeline", "_diffusers_version": "0.25.0", "max_noise_level": 350,
 *   "scheduler": ["diffusers", "DDIMScheduler"], "low_res_scheduler": ["diffusers", "DDPMScheduler"],
 *   "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
 *   "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"] }
 * ```
 * The text encoder and tokenizer (or `[null, null]` for them) are not loaded: prompt
 * embeddings are given instead.
 */
export interface UpscaleModelIndex {
  /** Always {@link UPSCALE_PIPELINE_CLASS}. */
  readonly _class_name: typeof UPSCALE_PIPELINE_CLASS;
  /** The diffusers version whose layout the folder follows. */
  readonly _diffusers_version: string;
  /** The largest noise level a run may ask for (default {@link DEFAULT_MAX_NOISE_LEVEL}). */
  readonly max_noise_level: number;
  /** The denoising scheduler in `scheduler/` (the real upscaler's: DDIM, v-prediction). */
  readonly scheduler: ComponentSpec;
  /** The scheduler that noises the low-res image in `low_res_scheduler/` (DDPM). */
  readonly low_res_scheduler: ComponentSpec;
  /** The class-conditioned denoiser in `unet/`. */
  readonly unet: ComponentSpec;
  /** The latent codec in `vae/`. */
  readonly vae: ComponentSpec;
  /**
   * A YONOS addition: a `.safetensors` file at the folder root with the default prompt
   * embeddings (`prompt_embeds`, `negative_prompt_embeds`). diffusers ignores the key.
   */
  readonly prompt_embeddings?: string;
}

/**
 * Parses and checks the `model_index.json` of an upscaler folder.
 * @param where The folder, for messages.
 * @throws PretrainedError naming the bad key, or for another pipeline class.
 */
export function parseUpscaleModelIndex(text: string, where: string): UpscaleModelIndex {
  const index = parseModelIndexObject(text, where);
  const className = index['_class_name'];
  if (className !== UPSCALE_PIPELINE_CLASS) {
    throw new PretrainedError(
      `${where}/${MODEL_INDEX_NAME}: "_class_name" is ${JSON.stringify(className)}, but StableDiffusionUpscalePipeline loads only ` +
        `"${UPSCALE_PIPELINE_CLASS}" folders${className === 'YonosPipeline' || className === undefined ? '; load this one with YonosPipeline.fromPretrained' : ''}.`,
    );
  }
  for (const name of UPSCALE_PIPELINE_COMPONENTS) {
    if (!isComponentSpec(index[name])) {
      throw new PretrainedError(
        `${where}/${MODEL_INDEX_NAME}: "${name}" must be ["library", "ClassName"] (for example ["diffusers", "DDPMScheduler"]); ` +
          `got ${JSON.stringify(index[name])}. An upscaler folder needs ${UPSCALE_PIPELINE_COMPONENTS.join(', ')}.`,
      );
    }
  }
  const maxNoiseLevel = index['max_noise_level'] ?? DEFAULT_MAX_NOISE_LEVEL;
  if (!Number.isInteger(maxNoiseLevel) || (maxNoiseLevel as number) < 0) {
    throw new PretrainedError(`${where}/${MODEL_INDEX_NAME}: "max_noise_level" must be an integer >= 0, got ${JSON.stringify(maxNoiseLevel)}.`);
  }
  const embeddings = index['prompt_embeddings'];
  if (embeddings !== undefined && embeddings !== null && (typeof embeddings !== 'string' || embeddings.includes('..'))) {
    throw new PretrainedError(
      `${where}/${MODEL_INDEX_NAME}: "prompt_embeddings" must name a safetensors file in the folder, got ${JSON.stringify(embeddings)}.`,
    );
  }
  return {
    _class_name: UPSCALE_PIPELINE_CLASS,
    _diffusers_version: typeof index['_diffusers_version'] === 'string' ? index['_diffusers_version'] : DIFFUSERS_VERSION,
    max_noise_level: maxNoiseLevel as number,
    scheduler: index['scheduler'] as ComponentSpec,
    low_res_scheduler: index['low_res_scheduler'] as ComponentSpec,
    unet: index['unet'] as ComponentSpec,
    vae: index['vae'] as ComponentSpec,
    ...(typeof embeddings === 'string' ? { prompt_embeddings: embeddings } : {}),
  };
}

/**
 * A `model_index.json` for an upscaler folder as diffusers writes one without a text encoder:
 * keys sorted, the ignored components as `[null, null]`, 2-space indent, trailing newline.
 */
export function upscaleModelIndexJson(index: UpscaleModelIndex): string {
  const record: Record<string, unknown> = { ...index };
  for (const name of IGNORED_UPSCALE_COMPONENTS) record[name] = [null, null];
  return modelIndexJson(record);
}
