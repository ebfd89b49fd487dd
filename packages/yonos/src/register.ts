import { registerPretrainedClass } from '@yonos/core';
import { AutoencoderKL } from '@yonos/vae';
import { UNet2DConditionModel, UNet2DModel } from '@yonos/unet';
import { DDIMScheduler } from '@yonos/sampler';

/**
 * Registers the concrete model classes with core's pretrained registry, so pipeline folders
 * whose `model_index.json` names them (`["@yonos/vae", "AutoencoderKL"]`, or diffusers'
 * `["diffusers", "UNet2DConditionModel"]`) load without further imports. The umbrella calls
 * it on import; registering again is harmless (the registry replaces same-named entries).
 */
export function registerPretrainedClasses(): void {
  registerPretrainedClass('@yonos/vae', AutoencoderKL);
  registerPretrainedClass('@yonos/unet', UNet2DConditionModel);
  registerPretrainedClass('@yonos/unet', UNet2DModel);
  registerPretrainedClass('@yonos/sampler', DDIMScheduler, { className: 'DDIMScheduler', kind: 'scheduler' });
}
