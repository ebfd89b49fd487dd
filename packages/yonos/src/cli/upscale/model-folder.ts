import { openModelStore } from '@yonos/core';
import { readModelConfig } from '@yonos/core/internal';
import { MODEL_INDEX_NAME, UPSCALE_PIPELINE_CLASS, parseModelIndex, parseUpscaleModelIndex } from '@yonos/sampler';
import { parseModelIndexObject } from '@yonos/sampler/internal';
import type { UpscaleModelIndex, YonosModelIndex } from '@yonos/sampler';

/** A model folder `yonos upscale` can run, told apart by its `model_index.json` `_class_name`. */
export type ModelFolder =
  | {
      /** A `YonosPipeline` folder (YONOS's own). */
      readonly kind: 'yonos';
      /** The folder, or its URL. */
      readonly location: string;
      readonly index: YonosModelIndex;
      /** The factor it was trained for (`scale_factor`). */
      readonly scale: number;
    }
  | {
      /** A diffusers `StableDiffusionUpscalePipeline` folder (Stable Diffusion's x4 upscaler, or one tuned by `yonos train decoder`). */
      readonly kind: 'upscaler';
      /** The folder, or its URL. */
      readonly location: string;
      readonly index: UpscaleModelIndex;
      /** Its VAE's factor (`2^(levels - 1)` of `vae/config.json`: 4 for the x4 upscaler). */
      readonly scale: number;
    };

/**
 * Reads the `model_index.json` of a model folder (a directory or a URL) and, for an upscaler,
 * its VAE's config, to tell what it is and by how much it enlarges, before any weights load.
 * @throws `PretrainedError` naming the bad file or key.
 */
export async function readModelFolder(location: string): Promise<ModelFolder> {
  const store = await openModelStore(location);
  const text = await store.readText(MODEL_INDEX_NAME);
  if (parseModelIndexObject(text, location)['_class_name'] !== UPSCALE_PIPELINE_CLASS) {
    const index = parseModelIndex(text, location);
    return { kind: 'yonos', location, index, scale: index.scale_factor };
  }
  const index = parseUpscaleModelIndex(text, location);
  const blocks = (await readModelConfig(store, 'vae'))['block_out_channels'];
  // AutoencoderKL halves the size at every level but the last (diffusers' default is one level).
  const levels = Array.isArray(blocks) ? blocks.length : 1;
  return { kind: 'upscaler', location, index, scale: 2 ** (levels - 1) };
}
