// Finds the UpscalerJS ESRGAN models inside their npm packages through the packages'
// CommonJS entries (their ESM does not load in Node) and loads them as tfjs layers models.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileIOHandler } from './file-io-handler.mjs';

const require = createRequire(import.meta.url);

/** The model packages this harness knows, by short name. */
export const MODEL_PACKAGES = {
  'esrgan-slim': '@upscalerjs/esrgan-slim',
  'esrgan-medium': '@upscalerjs/esrgan-medium',
  'esrgan-thick': '@upscalerjs/esrgan-thick',
};

/** The package folder: walk up from a resolved entry file to the package.json with that name. */
function packageRoot(pkgName, entryFile) {
  for (let dir = dirname(entryFile); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === pkgName) return dir;
  }
  throw new Error(`Cannot find the package folder of ${pkgName} above ${entryFile}.`);
}

/**
 * The UpscalerJS model definition of one package and scale, with where its files are.
 * @param {string} short a key of MODEL_PACKAGES
 * @param {number} scale 2, 3, 4 or 8
 * @returns {{ name: string, pkg: string, version: string, scale: number, definition: object, modelJson: string } | undefined}
 *   undefined when the package has no model for that scale
 */
export function findModel(short, scale) {
  const pkg = MODEL_PACKAGES[short];
  if (pkg === undefined) throw new Error(`Unknown model '${short}': pick from ${Object.keys(MODEL_PACKAGES).join(', ')}.`);
  let entry;
  try {
    entry = require.resolve(`${pkg}/${scale}x`);
  } catch (error) {
    if (error.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return undefined;
    if (error.code === 'MODULE_NOT_FOUND') throw new Error(`${pkg} is not installed: run \`npm ci\` in bench-baselines/.`);
    throw error;
  }
  const definition = require(entry);
  if (definition.scale !== scale || definition.modelType !== 'layers') {
    throw new Error(`${pkg}/${scale}x defines scale ${definition.scale} / ${definition.modelType} model; this harness expects a x${scale} layers model.`);
  }
  const root = packageRoot(pkg, entry);
  const modelJson = join(root, definition._internals.path);
  if (!existsSync(modelJson)) throw new Error(`${pkg}/${scale}x points at ${modelJson}, which is missing.`);
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  return { name: short, pkg, version, scale, definition, modelJson };
}

/**
 * Loads a model found by findModel. Definitions with a `setup` (the RRDN "thick" models)
 * register their custom layers (MultiplyBeta, PixelShuffle) with this tfjs first.
 * @param {typeof import('@tensorflow/tfjs')} tf
 */
export async function loadModel(tf, found) {
  if (typeof found.definition.setup === 'function') await found.definition.setup(tf);
  return tf.loadLayersModel(fileIOHandler(found.modelJson));
}
