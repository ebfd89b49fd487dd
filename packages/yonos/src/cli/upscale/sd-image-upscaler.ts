import type { StableDiffusionUpscalePipeline } from '@yonos/sampler';
import type { ImageUpscaler } from './image-upscaler.js';
import type { CliTileOptions } from './tile.js';

/** How `yonos upscale` runs a Stable Diffusion upscaler folder. */
export interface SdRunSettings {
  /** Denoising steps. */
  readonly steps: number;
  /** Seed of the low-res noise and the initial latents. */
  readonly seed: number;
  /** Classifier-free guidance weight (1: none). */
  readonly guidanceScale: number;
  /** Noise level of the low-res image, also the U-Net's class label. */
  readonly noiseLevel: number;
  /** Tiling (see `tileOptions`); absent: chosen from the pipeline's memory budget. */
  readonly tile?: boolean | CliTileOptions | undefined;
}

/**
 * A `StableDiffusionUpscalePipeline` (with the pipeline's prompt embeddings and the schedule
 * it was built with, see `withSchedule`) as an {@link ImageUpscaler}: `steps` U-Net steps on
 * the noised low-res image, then the decode.
 */
export function sdImageUpscaler(pipeline: StableDiffusionUpscalePipeline, settings: SdRunSettings): ImageUpscaler {
  const run = {
    steps: settings.steps,
    seed: settings.seed,
    guidanceScale: settings.guidanceScale,
    noiseLevel: settings.noiseLevel,
    ...(settings.tile !== undefined ? { tile: settings.tile } : {}),
  };
  return {
    scale: pipeline.scale,
    evaluations: (height, width) => {
      const tiling = pipeline.tiling(height, width, run);
      return [
        ['denoise', settings.steps * tiling.latentTiles],
        ['decode', tiling.vaeTiles],
      ];
    },
    upscale: (image, control) => pipeline.upscale(image, { ...run, ...control }),
  };
}
