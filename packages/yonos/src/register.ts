import { registerDefaultModel } from '@yonos/sampler';
import { bundledModelProvider, bundledModelRoot } from './bundled-model.js';

/**
 * Makes the bundled model (`model/x4/`, `model/x8/` of this package, see `bundledModelProvider`)
 * the default model of `@yonos/sampler`, so `YonosPipeline.fromPretrained()` without a location
 * loads `model/x4/`, and `fromPretrained(undefined, { scale: 8 })` loads `model/x8/`. The
 * umbrella calls it on import; it replaces any default model registered before.
 * @param root The bundle's root folder, default `bundledModelRoot()` (another folder of the same layout for tests).
 */
export function registerBundledModel(root: string = bundledModelRoot()): void {
  registerDefaultModel(bundledModelProvider(root));
}
