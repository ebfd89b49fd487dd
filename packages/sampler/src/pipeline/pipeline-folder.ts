import type * as tf from '@tensorflow/tfjs-core';
import { DIFFUSERS_VERSION, openModelStore, openWritableModelStore } from '@yonos/core';
import type { Denoiser, LatentCodec, ModelLocation, NoiseScheduler } from '@yonos/core';
import { saveComponent } from './components.js';
import { CONTEXT_FILE, readContext, writeContext } from './context-file.js';
import { resolveDefaultModel } from './default-model.js';
import { buildFromFolder } from './folder-components.js';
import { MODEL_INDEX_NAME, PIPELINE_COMPONENTS, YONOS_PIPELINE_CLASS, modelIndexJson, parseModelIndex } from './model-index.js';
import type { YonosModelIndex } from './model-index.js';
import type { YonosFromPretrainedOptions, YonosPipelineComponents, YonosSavePretrainedOptions } from './options.js';
import { requestedScale } from './scale.js';

/** What a `YonosPipeline` folder holds besides `model_index.json`'s class and version. */
export interface YonosFolderParts {
  readonly vae: LatentCodec;
  readonly unet: Denoiser;
  readonly scheduler: NoiseScheduler;
  readonly scale: number;
  readonly latentMultiple: number;
  readonly residual: boolean;
  readonly context: tf.Tensor3D | undefined;
}

/**
 * Loads a `YonosPipeline` folder (see `YonosPipeline.fromPretrained`) and builds the pipeline
 * from its components with `build`. Components loaded here are disposed if loading or `build`
 * fails; the context tensor read from the folder is disposed once `build` returns (the
 * pipeline keeps its own copy).
 */
export async function loadYonosFolder<P>(
  location: ModelLocation | undefined,
  options: YonosFromPretrainedOptions,
  build: (components: YonosPipelineComponents) => P,
): Promise<P> {
  const scale = requestedScale(options);
  const store = await openModelStore(location ?? (await resolveDefaultModel(scale)).location);
  const index = parseModelIndex(await store.readText(MODEL_INDEX_NAME), store.location);
  return buildFromFolder(store, index, PIPELINE_COMPONENTS, options.components ?? {}, options, async (parts) => {
    const context = index.context !== undefined ? await readContext(store, index.context) : undefined;
    try {
      return build({
        vae: parts.vae as LatentCodec,
        unet: parts.unet as Denoiser,
        scheduler: parts.scheduler as NoiseScheduler,
        scale: scale ?? index.scale_factor,
        ...(index.latent_multiple !== undefined ? { latentMultiple: index.latent_multiple } : {}),
        ...(index.residual !== undefined ? { residual: index.residual } : {}),
        ...(context !== undefined ? { context } : {}),
      });
    } finally {
      context?.dispose();
    }
  });
}

/**
 * Writes a `YonosPipeline` folder (see `YonosPipeline.savePretrained`): each component in its
 * subfolder, a custom context in `context.safetensors`, and `model_index.json` last, so a
 * folder with an index is complete.
 */
export async function saveYonosFolder(location: ModelLocation, parts: YonosFolderParts, options: YonosSavePretrainedOptions): Promise<void> {
  const store = await openWritableModelStore(location);
  const weights = options.dtype !== undefined ? { dtype: options.dtype } : {};
  const specs = {
    scheduler: await saveComponent(store, 'scheduler', parts.scheduler),
    unet: await saveComponent(store, 'unet', parts.unet, weights),
    vae: await saveComponent(store, 'vae', parts.vae, weights),
  };
  if (parts.context !== undefined) await writeContext(store, CONTEXT_FILE, parts.context);
  const index: YonosModelIndex = {
    _class_name: YONOS_PIPELINE_CLASS,
    _diffusers_version: DIFFUSERS_VERSION,
    scale_factor: parts.scale,
    latent_multiple: parts.latentMultiple,
    ...(parts.residual ? { residual: true } : {}),
    ...(parts.context !== undefined ? { context: CONTEXT_FILE } : {}),
    ...specs,
  };
  await store.writeText(MODEL_INDEX_NAME, modelIndexJson(index));
}
