/**
 * The YONOS super-resolution pipeline and its tiling: composed from `@yonos/core`'s
 * contracts (any latent codec, any denoiser, any scheduler).
 * @module
 */
export { YonosPipeline } from './yonos-pipeline.js';
export type {
  YonosFromPretrainedOptions,
  YonosPipelineComponents,
  YonosRunOptions,
  YonosSavePretrainedOptions,
  YonosTileOptions,
  YonosTiling,
} from './options.js';
export { YONOS_SCHEDULER_CONFIG, defaultYonosScheduler } from './default-scheduler.js';
export { DEFAULT_MODEL_SCALE } from './scale.js';
export {
  DefaultModelError,
  NoDefaultModelError,
  ScaleNotBundledError,
  defaultModelProvider,
  registerDefaultModel,
  resolveDefaultModel,
} from './default-model.js';
export type { DefaultModelLocation, DefaultModelProvider } from './default-model.js';
export { PipelineAbortedError, PipelineInputError, PipelineMemoryError } from './errors.js';
export type { TilingEstimate } from './errors.js';
export { TiledLatentCodec } from './tiled-codec.js';
export type { TiledLatentCodecOptions } from './tiled-codec.js';
export { TileAccumulator, blendTileRows, blendTiles, blendTilesSync, tileRegions } from './tile-blend.js';
export type { TileLoopHooks, TileRegion } from './tile-blend.js';
export { axisTiles, planTiles, tileStarts } from './tile-plan.js';
export type { AxisTile, PlanTilesOptions, TileGrid, TilePlan } from './tile-plan.js';
export { estimateRunMemory, largestTileWithin } from './memory.js';
export type { RunMemoryEstimate, RunMemoryInput } from './memory.js';
export { denoiseLatents } from './denoise.js';
export type { DenoiseLatentsArgs, DenoiseStepEvent, WindowPredictor } from './denoise.js';
export { upscaleImageKinds } from './image-kinds.js';
export type { RgbUpscaler } from './image-kinds.js';
export { padBottomRight, cropTopLeft, roundUpTo } from './padding.js';
export { loadComponent, saveComponent } from './components.js';
export type { LoadComponentOptions } from './components.js';
export {
  MODEL_INDEX_NAME,
  PIPELINE_COMPONENTS,
  YONOS_PIPELINE_CLASS,
  isComponentSpec,
  modelIndexJson,
  parseModelIndex,
  parseModelIndexObject,
} from './model-index.js';
export type { ComponentSpec, PipelineComponentName, YonosModelIndex } from './model-index.js';
export { CONTEXT_FILE, CONTEXT_TENSOR, readContext, writeContext } from './context-file.js';
