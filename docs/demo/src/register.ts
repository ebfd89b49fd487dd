import { registerPretrainedClass } from '@yonos/core';
import { AutoencoderKL, AutoencoderTiny } from '@yonos/vae';
import { UNet2DConditionModel, UNet2DModel } from '@yonos/unet';

/**
 * Registers the model classes a YONOS pipeline folder names in `model_index.json`, so
 * `YonosPipeline.fromPretrained` can build them in a browser. (Node imports unregistered
 * packages by name; a bundle cannot, and the umbrella `yonos`, which registers them on import,
 * also pulls in the Node-only trainers.) The scheduler registers itself with `@yonos/sampler`.
 * Idempotent.
 */
export function registerModelClasses(): void {
  registerPretrainedClass('@yonos/vae', AutoencoderKL);
  registerPretrainedClass('@yonos/vae', AutoencoderTiny);
  registerPretrainedClass('@yonos/unet', UNet2DConditionModel);
  registerPretrainedClass('@yonos/unet', UNet2DModel);
}
