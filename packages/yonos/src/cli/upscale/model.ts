import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { YonosError } from '@yonos/core';
import { DEFAULT_MODEL_SCALE, MODEL_INDEX_NAME, parseModelIndex } from '@yonos/sampler';
import type { YonosModelIndex } from '@yonos/sampler';
import { bundledModelDir, bundledModelRoot, bundledScales } from '../../bundled-model.js';
import { CliUsageError } from '../errors.js';

/** No model to upscale with: nothing is bundled (or not for that scale), or `--model` is not a pipeline folder. */
export class ModelNotFoundError extends YonosError {}

const LAYOUT = 'a YonosPipeline folder (model_index.json with unet/, vae/ and scheduler/, as YonosPipeline.savePretrained writes it)';

/** Options of {@link resolveModelDir}. */
export interface ResolveModelDirOptions {
  /** `--scale`: which bundled model to use (default {@link DEFAULT_MODEL_SCALE}). Ignored with `--model`. */
  readonly scale?: number | undefined;
  /** The bundle's root folder, default `bundledModelRoot()` (a parameter for tests). */
  readonly bundled?: string | undefined;
}

/** Whether `--model` is an `http:` or `https:` URL (a folder served as Hugging Face does: `https://huggingface.co/<repo>/resolve/main/`). */
export function isModelUrl(model: string): boolean {
  return /^https?:\/\//i.test(model);
}

/**
 * The pipeline folder to load: `--model` when given (a folder, or a URL, which is returned as
 * it is and read through the URL loader), else the model bundled with the `yonos` package for
 * `--scale` (`model/x<scale>/`, default `x4`), which is picked up as soon as its
 * `model_index.json` exists.
 * @param model `--model`, absent for the bundled model.
 * @returns The absolute folder path, or the URL.
 * @throws {@link ModelNotFoundError} when the folder has no `model_index.json`; for the bundled
 *   model, the message lists the scales that are bundled.
 */
export function resolveModelDir(model: string | undefined, options: ResolveModelDirOptions = {}): string {
  if (model !== undefined) {
    if (isModelUrl(model)) return model;
    const dir = resolve(model);
    if (!existsSync(join(dir, MODEL_INDEX_NAME))) {
      throw new ModelNotFoundError(`--model '${model}' has no ${MODEL_INDEX_NAME}: pass ${LAYOUT}.`);
    }
    return dir;
  }
  const root = resolve(options.bundled ?? bundledModelRoot());
  const scale = options.scale ?? DEFAULT_MODEL_SCALE;
  const dir = bundledModelDir(scale, root);
  if (existsSync(join(dir, MODEL_INDEX_NAME))) return dir;
  const scales = bundledScales(root);
  if (scales.length === 0) {
    throw new ModelNotFoundError(`No bundled model is installed (no x<N>/${MODEL_INDEX_NAME} in ${root}): pass --model <folder>, ${LAYOUT}.`);
  }
  throw new ModelNotFoundError(
    `No bundled model for x${scale}: bundled scales are ${scales.map((s) => `x${s}`).join(', ')} (in ${root}). ` +
      `Pass ${scales.map((s) => `--scale ${s}`).join(' or ')}, or --model <folder> trained for x${scale}, ${LAYOUT}.`,
  );
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
export function chooseScale(requested: number | undefined, index: Pick<YonosModelIndex, 'scale_factor'>, modelDir: string): number {
  const trained = index.scale_factor;
  if (requested !== undefined && requested !== trained) {
    throw new CliUsageError(`--scale ${requested} does not match the model, which upscales x${trained} (${modelDir}): pass --scale ${trained}, or --model a folder trained for x${requested}.`);
  }
  return trained;
}
