import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { AutoencoderKL } from '@yonos/vae';
import { UNet2DConditionModel } from '@yonos/unet';
import { YonosPipeline } from '@yonos/sampler';

/** The diffusers reference models (see fixtures/README.md in the repository). */
export const DIFFUSERS_FIXTURES = fileURLToPath(new URL('../../../fixtures/diffusers', import.meta.url));

/** Scale factor of the tiny pipeline (the fixture VAE downsamples by 4, the U-Net needs latents in multiples of 4). */
export const TINY_SCALE = 4;

/**
 * Writes a YONOS pipeline folder built from the tiny fixture models (`vae-tiny`,
 * `unet-sd2-tiny`, random weights) to `dir`, as `YonosPipeline.savePretrained` writes it.
 * Needs an active tfjs backend; leaves no tensors behind.
 */
export async function saveTinyPipeline(dir: string): Promise<void> {
  const vae = await AutoencoderKL.fromPretrained(join(DIFFUSERS_FIXTURES, 'vae-tiny'));
  const unet = await UNet2DConditionModel.fromPretrained(join(DIFFUSERS_FIXTURES, 'unet-sd2-tiny'));
  const pipe = new YonosPipeline({ vae, unet, scale: TINY_SCALE });
  try {
    await pipe.savePretrained(dir);
  } finally {
    pipe.dispose();
  }
}
