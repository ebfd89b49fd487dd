import { registerPretrainedClass } from '@yonos/core';
import { AutoencoderKL, AutoencoderTiny } from '@yonos/vae';
import { UNet2DConditionModel, UNet2DModel } from '@yonos/unet';
import { DDIMScheduler, registerDefaultModel } from '@yonos/sampler';
import { bundledModelProvider, bundledModelRoot } from './bundled-model.js';

/**
 * Registers the concrete model classes with core's pretrained registry, so pipeline folders
 * whose `model_index.json` names them (`["@yonos/vae", "AutoencoderKL"]`, or diffusers'
 * `["diffusers", "UNet2DConditionModel"]`) load without further imports. The umbrella calls
 * it on import; registering again is harmless (the registry replaces same-named entries).
 */
export function registerPretrainedClasses(): void {
  registerPretrainedClass('@yonos/vae', AutoencoderKL);
  registerPretrainedClass('@yonos/vae', AutoencoderTiny);
  registerPretrainedClass('@yonos/unet', UNet2DConditionModel);
  registerPretrainedClass('@yonos/unet', UNet2DModel);
  registerPretrainedClass('@yonos/sampler', DDIMScheduler, { className: 'DDIMScheduler', kind: 'scheduler' });
}

/**
 * Makes the bundled model (`model/x4/`, `model/x8/` of this package, see `bundledModelProvider`)
 * the default model of `@yonos/sampler`, so `YonosPipeline.fromPretrained()` without a location
 * loads `model/x4/`, and `fromPretrained(undefined, { scaleFactor: 8 })` loads `model/x8/`. The
 * umbrella calls it on import; it replaces any default model registered before.
 * @param root The bundle's root folder, default `bundledModelRoot()` (another folder of the same layout for tests).
 */
export function registerBundledModel(root: string = bundledModelRoot()): void {
  registerDefaultModel(bundledModelProvider(root));
}
