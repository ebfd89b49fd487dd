import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { YonosPipeline } from '@yonos/sampler';
import { UNet2DConditionModel } from '@yonos/unet';
import { AutoencoderKL } from '@yonos/vae';
import '../src/model-classes.js';

/** The diffusers reference models (see fixtures/README.md in the repository). */
export const DIFFUSERS_FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/diffusers');

/**
 * Writes a real YonosPipeline folder built from the tiny diffusers fixtures (`vae-tiny`: VAE
 * factor 4; `unet-sd2-tiny`: latent multiple 4; random weights) to `dir`. Needs an active
 * backend; leaves no tensors behind.
 */
export async function saveTinyPipeline(dir: string, scale: number): Promise<void> {
  const vae = await AutoencoderKL.fromPretrained(join(DIFFUSERS_FIXTURES, 'vae-tiny'));
  const unet = await UNet2DConditionModel.fromPretrained(join(DIFFUSERS_FIXTURES, 'unet-sd2-tiny'));
  const pipe = new YonosPipeline({ vae, unet, scale });
  try {
    await pipe.savePretrained(dir);
  } finally {
    pipe.dispose();
  }
}

/** Copies the pipeline folder `from` to `to` (same weights), with `patch` merged into its `model_index.json` (e.g. `{ scale_factor: 8 }`). */
export function copyPipeline(from: string, to: string, patch: Record<string, unknown>): void {
  cpSync(from, to, { recursive: true });
  const index = join(to, 'model_index.json');
  writeFileSync(index, JSON.stringify({ ...(JSON.parse(readFileSync(index, 'utf8')) as object), ...patch }, null, 2));
}
