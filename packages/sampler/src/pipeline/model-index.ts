import { DIFFUSERS_VERSION, PretrainedError } from '@yonos/core';
import { DEFAULT_MODEL_SCALE, isScale } from './scale.js';

/** File name of a diffusers pipeline index. */
export const MODEL_INDEX_NAME = 'model_index.json';
/** `_class_name` of a YONOS pipeline folder. */
export const YONOS_PIPELINE_CLASS = 'YonosPipeline';
/** The components a YONOS pipeline folder holds, each in the subfolder of the same name. */
export const PIPELINE_COMPONENTS = ['scheduler', 'unet', 'vae'] as const;
/** One of {@link PIPELINE_COMPONENTS}. */
export type PipelineComponentName = (typeof PIPELINE_COMPONENTS)[number];

/** A `model_index.json` component entry: `[library, className]`, as diffusers writes it. */
export type ComponentSpec = readonly [library: string, className: string];

/**
 * The parsed `model_index.json` of a YONOS pipeline folder, diffusers' layout:
 * ```json
 * { "_class_name": "YonosPipeline", "_diffusers_version": "0.25.0", "scale_factor": 4,
 *   "scheduler": ["@yonos/sampler", "DDIMScheduler"],
 *   "unet": ["@yonos/unet", "UNet2DConditionModel"], "vae": ["@yonos/vae", "AutoencoderKL"] }
 * ```
 */
export interface YonosModelIndex {
  /** The pipeline class, normally {@link YONOS_PIPELINE_CLASS} (the default when the file lacks it). */
  readonly _class_name: string;
  /** The diffusers version whose layout the folder follows (e.g. `'0.25.0'`). */
  readonly _diffusers_version: string;
  /**
   * The upscaling factor the model was trained for (default {@link DEFAULT_MODEL_SCALE}). The
   * pipeline's `scale`; snake_case like every key of diffusers' `model_index.json`. Not the
   * VAE's `scaling_factor`, which scales latents.
   */
  readonly scale_factor: number;
  /** Latent sizes must be multiples of this (optional; inferred from the U-Net config otherwise). */
  readonly latent_multiple?: number;
  /** `true` when the denoiser works on `z_0 - z_lr` (residual diffusion); absent or `false` otherwise. */
  readonly residual?: boolean;
  /** A safetensors file at the folder root holding the cross-attention context (tensor `context`, `[1, L, D]`). */
  readonly context?: string;
  /** Library and class of the scheduler in `scheduler/` (e.g. `['@yonos/sampler', 'DDIMScheduler']`). */
  readonly scheduler: ComponentSpec;
  /** Library and class of the denoiser in `unet/` (e.g. `['@yonos/unet', 'UNet2DConditionModel']`). */
  readonly unet: ComponentSpec;
  /** Library and class of the latent codec in `vae/` (e.g. `['@yonos/vae', 'AutoencoderKL']`). */
  readonly vae: ComponentSpec;
}

/** Whether `v` is a `model_index.json` component entry `[library, className]` (both non-empty strings). */
export function isComponentSpec(v: unknown): v is ComponentSpec {
  return Array.isArray(v) && v.length === 2 && v.every((s) => typeof s === 'string' && s !== '');
}

/**
 * The JSON object of a `model_index.json`.
 * @param where The folder, for messages.
 * @throws PretrainedError for invalid JSON or a non-object.
 */
export function parseModelIndexObject(text: string, where: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new PretrainedError(`${where}/${MODEL_INDEX_NAME} is not valid JSON: ${(cause as Error).message}.`, { cause });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PretrainedError(`${where}/${MODEL_INDEX_NAME} must hold a JSON object.`);
  }
  return raw as Record<string, unknown>;
}

/**
 * Parses and checks a `model_index.json`.
 * @param where The folder, for messages.
 * @throws PretrainedError naming the bad key.
 */
export function parseModelIndex(text: string, where: string): YonosModelIndex {
  const index = parseModelIndexObject(text, where);
  if (index['_class_name'] === 'StableDiffusionUpscalePipeline') {
    throw new PretrainedError(
      `${where} holds a StableDiffusionUpscalePipeline (model_index.json), not a YONOS pipeline; load it with StableDiffusionUpscalePipeline.fromPretrained.`,
    );
  }
  for (const name of PIPELINE_COMPONENTS) {
    if (!isComponentSpec(index[name])) {
      throw new PretrainedError(
        `${where}/${MODEL_INDEX_NAME}: "${name}" must be ["library", "ClassName"] (for example ["@yonos/unet", "UNet2DConditionModel"]); ` +
          `got ${JSON.stringify(index[name])}. A YONOS pipeline folder needs scheduler, unet and vae.`,
      );
    }
  }
  const scale = index['scale_factor'] ?? DEFAULT_MODEL_SCALE;
  if (!isScale(scale)) {
    throw new PretrainedError(`${where}/${MODEL_INDEX_NAME}: "scale_factor" must be a positive number, got ${JSON.stringify(scale)}.`);
  }
  const multiple = index['latent_multiple'];
  if (multiple !== undefined && !(Number.isInteger(multiple) && (multiple as number) >= 1)) {
    throw new PretrainedError(`${where}/${MODEL_INDEX_NAME}: "latent_multiple" must be a positive integer, got ${JSON.stringify(multiple)}.`);
  }
  const residual = index['residual'];
  if (residual !== undefined && typeof residual !== 'boolean') {
    throw new PretrainedError(`${where}/${MODEL_INDEX_NAME}: "residual" must be true or false, got ${JSON.stringify(residual)}.`);
  }
  const context = index['context'];
  if (context !== undefined && context !== null && (typeof context !== 'string' || context.includes('..'))) {
    throw new PretrainedError(`${where}/${MODEL_INDEX_NAME}: "context" must name a safetensors file in the folder, got ${JSON.stringify(context)}.`);
  }
  return {
    ...(index as unknown as YonosModelIndex),
    _class_name: typeof index['_class_name'] === 'string' ? index['_class_name'] : YONOS_PIPELINE_CLASS,
    _diffusers_version: typeof index['_diffusers_version'] === 'string' ? index['_diffusers_version'] : DIFFUSERS_VERSION,
    scale_factor: scale,
    ...(typeof context === 'string' ? { context } : {}),
  };
}

/**
 * A `model_index.json` as diffusers writes it: keys sorted, 2-space indent, trailing newline;
 * keys whose value is `undefined` are left out. Any pipeline's index (`upscaleModelIndexJson` uses it too).
 */
export function modelIndexJson(index: YonosModelIndex | Readonly<Record<string, unknown>>): string {
  const record = index as Readonly<Record<string, unknown>>;
  const sorted = Object.fromEntries(
    Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => [k, record[k]]),
  );
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
