import type { YonosPipeline } from '@yonos/sampler';
import type { ImageUpscaler } from './image-upscaler.js';
import type { CliTileOptions } from './tile.js';

/** How `yonos upscale` runs a `YonosPipeline` folder. */
export interface YonosRunSettings {
  /** DDIM steps (1 for a YONOS model). */
  readonly steps: number;
  /** Seed of the initial noise; every image uses it, so a rerun gives the same bytes. */
  readonly seed: number;
  /** Tiling (see `tileOptions`); absent: chosen from the pipeline's memory budget. */
  readonly tile?: boolean | CliTileOptions | undefined;
}

/** A `YonosPipeline` as an {@link ImageUpscaler}: encode, `steps` DDIM steps, decode. */
export function yonosImageUpscaler(pipeline: YonosPipeline, settings: YonosRunSettings): ImageUpscaler {
  const run = { scale: pipeline.scale, steps: settings.steps, seed: settings.seed, ...(settings.tile !== undefined ? { tile: settings.tile } : {}) };
  return {
    scale: pipeline.scale,
    evaluations: (height, width) => {
      const tiling = pipeline.tiling(height, width, run);
      return [
        ['encode', tiling.vaeTiles],
        ['denoise', settings.steps * tiling.latentTiles],
        ['decode', tiling.vaeTiles],
      ];
    },
    upscale: (image, control) => pipeline.upscale(image, { ...run, ...control }),
  };
}
