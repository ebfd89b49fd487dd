import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { YonosError } from '@yonos/core';
import { MODEL_INDEX_NAME, parseModelIndex } from '@yonos/sampler';
import type { YonosModelIndex } from '@yonos/sampler';
import { CliUsageError } from '../errors.js';
import { bundledModelDir } from '../model-card.js';

/** No model to upscale with: the bundled one is not installed, or `--model` is not a pipeline folder. */
export class ModelNotFoundError extends YonosError {}

const LAYOUT = 'a YonosPipeline folder (model_index.json with unet/, vae/ and scheduler/, as YonosPipeline.savePretrained writes it)';

/**
 * The pipeline folder to load: `--model` when given, else the model bundled with the `yonos`
 * package (`model/` at its root, see `bundledModelDir`), which is picked up as soon as its
 * `model_index.json` exists.
 * @param model `--model`, absent for the bundled model.
 * @param bundled Where the bundled model lives (a parameter for tests).
 * @returns The absolute folder path.
 * @throws {@link ModelNotFoundError} when the folder has no `model_index.json`.
 */
export function resolveModelDir(model: string | undefined, bundled: string = bundledModelDir()): string {
  if (model !== undefined) {
    const dir = resolve(model);
    if (!existsSync(join(dir, MODEL_INDEX_NAME))) {
      throw new ModelNotFoundError(`--model '${model}' has no ${MODEL_INDEX_NAME}: pass ${LAYOUT}.`);
    }
    return dir;
  }
  const dir = resolve(bundled);
  if (!existsSync(join(dir, MODEL_INDEX_NAME))) {
    throw new ModelNotFoundError(`No bundled model is installed (nothing at ${join(dir, MODEL_INDEX_NAME)}): pass --model <folder>, ${LAYOUT}.`);
  }
  return dir;
}

/**
 * Reads and checks a pipeline folder's `model_index.json` (cheap: no weights are loaded).
 * @throws `PretrainedError` naming the bad key.
 */
export async function readModelIndex(dir: string): Promise<YonosModelIndex> {
  return parseModelIndex(await readFile(join(dir, MODEL_INDEX_NAME), 'utf8'), dir);
}

/**
 * The scale to upscale by: `--scale` when given, which must be the factor the model was
 * trained for (its `model_index.json` `scale_factor`), else that factor.
 * @throws {@link CliUsageError} when `--scale` asks for another factor.
 */
export function chooseScale(requested: number | undefined, index: YonosModelIndex, modelDir: string): number {
  const trained = index.scale_factor;
  if (requested !== undefined && requested !== trained) {
    throw new CliUsageError(`--scale ${requested} does not match the model, which upscales x${trained} (${modelDir}): pass --scale ${trained}, or --model a folder trained for x${requested}.`);
  }
  return trained;
}
