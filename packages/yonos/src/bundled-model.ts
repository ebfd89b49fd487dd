import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_SCALE, MODEL_INDEX_NAME } from '@yonos/sampler';
import type { DefaultModelProvider } from '@yonos/sampler';

// A scale folder is `x` and a whole number without a leading zero: x2, x4, x8, x16.
const SCALE_FOLDER = /^x([1-9]\d*)$/;

/**
 * The folder the pretrained model is bundled in: `model/` at the root of the `yonos` package
 * (the same path from `src/` and `dist/`). It holds the model card (`README.md`) and one
 * `YonosPipeline` folder per scale, `x4/`, `x8/`, ... (each with its own U-Net and its own
 * fine-tuned decoder). Node only: an absolute directory path, whether or not it exists.
 */
export function bundledModelRoot(): string {
  return resolve(fileURLToPath(new URL('../model/', import.meta.url)));
}

/**
 * The bundled pipeline folder for upscaling by `scale`: `<root>/x<scale>` (it need not exist;
 * see {@link bundledScales}).
 * @param scale The upscaling factor, e.g. 4.
 * @param root The bundle's root, default {@link bundledModelRoot}.
 */
export function bundledModelDir(scale: number, root: string = bundledModelRoot()): string {
  return join(root, `x${scale}`);
}

/**
 * The scales a model is bundled for: the `x<N>/` folders of `root` that hold a
 * `model_index.json` (a folder without one is not a model yet), ascending. Empty when `root`
 * does not exist.
 * @param root The bundle's root, default {@link bundledModelRoot}.
 */
export function bundledScales(root: string = bundledModelRoot()): number[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  return names
    .map((name) => SCALE_FOLDER.exec(name)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number)
    .filter((scale) => existsSync(join(bundledModelDir(scale, root), MODEL_INDEX_NAME)))
    .sort((a, b) => a - b);
}

/** The bundled model as `@yonos/sampler`'s default model (see {@link bundledModelProvider}). */
export interface BundledModelProvider extends DefaultModelProvider {
  /** The bundle's root folder (`model/` of the `yonos` package unless given). */
  readonly root: string;
  /** Always {@link DEFAULT_MODEL_SCALE} (4). */
  readonly defaultScale: number;
}

/**
 * A default model provider over the bundle in `root`: scale `N` maps to `<root>/x<N>` when that
 * folder holds a `model_index.json`. Folders are looked up on each call, so a model installed
 * after import is found.
 * @param root The bundle's root, default {@link bundledModelRoot}.
 */
export function bundledModelProvider(root: string = bundledModelRoot()): BundledModelProvider {
  return {
    root,
    description: `the model bundled with yonos, in ${root}`,
    defaultScale: DEFAULT_MODEL_SCALE,
    locate(scale: number): string | undefined {
      const dir = bundledModelDir(scale, root);
      return Number.isInteger(scale) && existsSync(join(dir, MODEL_INDEX_NAME)) ? dir : undefined;
    },
    scales: () => bundledScales(root),
  };
}
