import { DIFFUSERS_VERSION, openModelStore, openWritableModelStore } from '@yonos/core';
import type { Denoiser, LatentCodec, ModelLocation, NoiseScheduler } from '@yonos/core';
import { saveComponent } from '../pipeline/components.js';
import { buildFromFolder } from '../pipeline/folder-components.js';
import { MODEL_INDEX_NAME } from '../pipeline/model-index.js';
import type { ComponentSpec } from '../pipeline/model-index.js';
import { UPSCALE_PIPELINE_CLASS, UPSCALE_PIPELINE_COMPONENTS, parseUpscaleModelIndex, upscaleModelIndexJson } from './model-index.js';
import type { UpscaleComponentName, UpscaleModelIndex } from './model-index.js';
import type {
  StableDiffusionUpscaleFromPretrainedOptions,
  StableDiffusionUpscalePipelineComponents,
  StableDiffusionUpscaleSavePretrainedOptions,
} from './options.js';
import { disposePromptEmbeddings, isPromptEmbeddings, readPromptEmbeddings, readPromptEmbeddingsFrom, writePromptEmbeddings } from './prompt-embeddings.js';
import type { PromptEmbeddings } from './prompt-embeddings.js';

/** Where `savePretrained` stores the pipeline's prompt embeddings. */
const PROMPT_EMBEDDINGS_FILE = 'prompt_embeds.safetensors';
/** Classes diffusers provides under the same name: folders name them `["diffusers", ...]` so diffusers loads them too. */
const DIFFUSERS_CLASSES = new Set(['DDIMScheduler', 'DDPMScheduler', 'UNet2DConditionModel', 'AutoencoderKL']);

/** What a `StableDiffusionUpscalePipeline` folder holds besides `model_index.json`'s class and version. */
export interface UpscaleFolderParts {
  readonly vae: LatentCodec;
  readonly unet: Denoiser;
  readonly scheduler: NoiseScheduler;
  readonly lowResScheduler: NoiseScheduler;
  readonly maxNoiseLevel: number;
  readonly promptEmbeddings: PromptEmbeddings | undefined;
}

/**
 * Loads a diffusers `StableDiffusionUpscalePipeline` folder (see
 * `StableDiffusionUpscalePipeline.fromPretrained`) and builds the pipeline from its components
 * with `build`. Components loaded here are disposed if loading or `build` fails; prompt
 * embeddings read from a file are disposed once `build` returns (the pipeline keeps its own copies).
 */
export async function loadUpscaleFolder<P>(
  location: ModelLocation,
  options: StableDiffusionUpscaleFromPretrainedOptions,
  build: (components: StableDiffusionUpscalePipelineComponents) => P,
): Promise<P> {
  const store = await openModelStore(location);
  const index = parseUpscaleModelIndex(await store.readText(MODEL_INDEX_NAME), store.location);
  const given = options.components ?? {};
  const byFolder: Partial<Record<UpscaleComponentName, unknown>> = {
    scheduler: given.scheduler,
    low_res_scheduler: given.lowResScheduler,
    unet: given.unet,
    vae: given.vae,
  };
  return buildFromFolder(store, index, UPSCALE_PIPELINE_COMPONENTS, byFolder, options, async (parts) => {
    let owned: PromptEmbeddings | undefined;
    try {
      let embeddings: PromptEmbeddings | undefined;
      if (options.promptEmbeddings !== undefined) {
        embeddings = isPromptEmbeddings(options.promptEmbeddings) ? options.promptEmbeddings : (owned = await readPromptEmbeddings(options.promptEmbeddings));
      } else if (index.prompt_embeddings !== undefined) {
        embeddings = owned = await readPromptEmbeddingsFrom(store, index.prompt_embeddings);
      }
      return build({
        vae: parts.vae as LatentCodec,
        unet: parts.unet as Denoiser,
        scheduler: parts.scheduler as NoiseScheduler,
        lowResScheduler: parts.low_res_scheduler as NoiseScheduler,
        maxNoiseLevel: index.max_noise_level,
        ...(embeddings !== undefined ? { promptEmbeddings: embeddings } : {}),
      });
    } finally {
      disposePromptEmbeddings(owned);
    }
  });
}

/**
 * Writes a `StableDiffusionUpscalePipeline` folder (see `StableDiffusionUpscalePipeline.savePretrained`):
 * each component in its subfolder (classes diffusers has are named `["diffusers", ...]`), the
 * prompt embeddings (if any) in `prompt_embeds.safetensors`, and `model_index.json` last.
 */
export async function saveUpscaleFolder(location: ModelLocation, parts: UpscaleFolderParts, options: StableDiffusionUpscaleSavePretrainedOptions): Promise<void> {
  const store = await openWritableModelStore(location);
  const weights = options.dtype !== undefined ? { dtype: options.dtype } : {};
  const spec = (entry: ComponentSpec): ComponentSpec => (DIFFUSERS_CLASSES.has(entry[1]) ? ['diffusers', entry[1]] : entry);
  const specs = {
    scheduler: spec(await saveComponent(store, 'scheduler', parts.scheduler)),
    low_res_scheduler: spec(await saveComponent(store, 'low_res_scheduler', parts.lowResScheduler)),
    unet: spec(await saveComponent(store, 'unet', parts.unet, weights)),
    vae: spec(await saveComponent(store, 'vae', parts.vae, weights)),
  };
  if (parts.promptEmbeddings !== undefined) await writePromptEmbeddings(store, PROMPT_EMBEDDINGS_FILE, parts.promptEmbeddings);
  const index: UpscaleModelIndex = {
    _class_name: UPSCALE_PIPELINE_CLASS,
    _diffusers_version: DIFFUSERS_VERSION,
    max_noise_level: parts.maxNoiseLevel,
    ...specs,
    ...(parts.promptEmbeddings !== undefined ? { prompt_embeddings: PROMPT_EMBEDDINGS_FILE } : {}),
  };
  await store.writeText(MODEL_INDEX_NAME, upscaleModelIndexJson(index));
}
