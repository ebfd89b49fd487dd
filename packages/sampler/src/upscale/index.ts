/**
 * Stable Diffusion's x4 upscaler (diffusers' `StableDiffusionUpscalePipeline`) over the contracts
 * of `@yonos/core`, with prompt embeddings instead of a text encoder.
 * @module
 */
export { StableDiffusionUpscalePipeline } from './stable-diffusion-upscale-pipeline.js';
export type {
  StableDiffusionUpscaleComponents,
  StableDiffusionUpscaleFromPretrainedOptions,
  StableDiffusionUpscalePipelineComponents,
  StableDiffusionUpscaleRunOptions,
  StableDiffusionUpscaleSaveOptions,
  StableDiffusionUpscaleSavePretrainedOptions,
} from './options.js';
export {
  NEGATIVE_PROMPT_EMBEDS_TENSOR,
  PROMPT_EMBEDS_TENSOR,
  disposePromptEmbeddings,
  readPromptEmbeddings,
  readPromptEmbeddingsFrom,
  writePromptEmbeddings,
} from './prompt-embeddings.js';
export type { PromptEmbeddings, PromptEmbeddingsSource } from './prompt-embeddings.js';
export {
  DEFAULT_MAX_NOISE_LEVEL,
  IGNORED_UPSCALE_COMPONENTS,
  UPSCALE_PIPELINE_CLASS,
  UPSCALE_PIPELINE_COMPONENTS,
  parseUpscaleModelIndex,
  upscaleModelIndexJson,
} from './model-index.js';
export type { UpscaleComponentName, UpscaleModelIndex } from './model-index.js';
export {
  X4_UPSCALER_LOW_RES_SCHEDULER_CONFIG,
  X4_UPSCALER_SCHEDULER_CONFIG,
  x4UpscalerLowResScheduler,
  x4UpscalerScheduler,
} from './default-schedulers.js';
export { guidedUpscalePredictor } from './guidance.js';
export type { GuidedUpscaleArgs } from './guidance.js';
export { DEFAULT_UPSCALE_BUDGET_MB, chooseUpscaleTiling, estimateUpscaleMemory } from './tiling.js';
export type { UpscaleMemoryEstimate, UpscaleMemoryInput, UpscaleTileOptions, UpscaleTiling } from './tiling.js';
export { UpscaleMemoryError } from './errors.js';
