import type { Denoiser, LatentCodec, NoiseScheduler } from '@yonos/core';
import { YonosPipeline } from '@yonos/sampler';

/**
 * Writes a `YonosPipeline` folder (`model_index.json`, `scheduler/`, `unet/`, `vae/`, diffusers
 * layout) that `YonosPipeline.fromPretrained` and `yonos` inference load. The models stay the
 * caller's.
 */
export async function writePipelineFolder(
  dir: string,
  parts: { readonly vae: LatentCodec; readonly unet: Denoiser; readonly scheduler: NoiseScheduler; readonly scale: number; readonly residual?: boolean },
): Promise<void> {
  const pipeline = new YonosPipeline({
    vae: parts.vae,
    unet: parts.unet,
    scheduler: parts.scheduler,
    scale: parts.scale,
    ...(parts.residual === true ? { residual: true } : {}),
  });
  try {
    await pipeline.savePretrained(dir);
  } finally {
    pipeline.dispose({ components: false });
  }
}
