import { PretrainedError, UrlModelStore } from '@yonos/core';
import { MODEL_INDEX_NAME, YonosPipeline, parseModelIndex } from '@yonos/sampler';
import type { YonosModelIndex } from '@yonos/sampler';
// The model packages register their classes (the ones a pipeline folder names in
// model_index.json) when imported, which a bundle needs: it cannot import them by name later.
// Not the umbrella `yonos`, which also pulls in the Node-only trainers.
import '@yonos/unet';
import '@yonos/vae';
import { NoModelError } from './errors.js';

/** What the page knows about the model folder before loading any weights. */
export interface ModelInfo {
  /** Absolute URL of the folder, ending in `/`. */
  readonly url: string;
  /** Its parsed `model_index.json`. */
  readonly index: YonosModelIndex;
}

/**
 * Looks for a YONOS pipeline folder at `url` (the built site's `model/`) without loading weights.
 * @throws NoModelError when the folder has no `model_index.json` (the message says how to add one).
 * @throws PretrainedError when `model_index.json` is there but malformed.
 */
export async function probeModel(url: URL): Promise<ModelInfo> {
  const store = new UrlModelStore(url);
  let text: string;
  try {
    text = await store.readText(MODEL_INDEX_NAME);
  } catch (cause) {
    if (!(cause instanceof PretrainedError)) throw cause;
    throw new NoModelError(
      `No model is present: ${store.location}${MODEL_INDEX_NAME} could not be read. This build has no bundled model yet; ` +
        'put a YONOS pipeline folder (YonosPipeline.savePretrained) in packages/yonos/model/x4/, or point YONOS_DEMO_MODEL at one, ' +
        'and run `npm run demo:build -w docs` again (or copy the folder to the site as model/).',
      { cause },
    );
  }
  const index = parseModelIndex(text, store.location);
  // Only the files model_index.json implies are requested: probing for optional ones (an fp16
  // variant) would log a failed request for every folder without them. A smaller download is
  // a folder saved with float16 weights (`savePretrained(dir, { dtype: 'F16' })`), as the bundled model is.
  return { url: store.location, index };
}

/**
 * Loads the pipeline of a probed folder on the active tfjs backend (call `useBackend` first).
 * @returns A pipeline the caller disposes.
 */
export async function loadPipeline(info: ModelInfo): Promise<YonosPipeline> {
  return YonosPipeline.fromPretrained(new UrlModelStore(info.url));
}
