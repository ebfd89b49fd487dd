import type { YonosPipeline, YonosTileOptions } from '@yonos/sampler';
import { CliUsageError } from '../errors.js';

/**
 * The pipeline's tiling for `--tile N`, N in **output pixels**: the edge of the VAE's tiles
 * (`vaeTileSize = N`) and of the U-Net's tiles in latent space (`latentTileSize = N / f`, the
 * same area). N must be a multiple of `f * latentMultiple` (64 for Stable-Diffusion-sized
 * models) so both tile sizes are valid; `0` turns tiling off; absent, tiles are chosen from
 * the pipeline's memory budget (none when the image fits).
 * @throws {@link CliUsageError} for an N that is not such a multiple, naming the nearest valid ones.
 */
export function tileOptions(tile: number | undefined, pipeline: Pick<YonosPipeline, 'vae' | 'latentMultiple'>): boolean | YonosTileOptions | undefined {
  if (tile === undefined) return undefined;
  if (tile === 0) return false;
  const f = pipeline.vae.downsampleFactor;
  const unit = f * pipeline.latentMultiple;
  if (tile % unit !== 0) {
    const below = Math.floor(tile / unit) * unit;
    const nearest = below > 0 ? `${below} or ${below + unit}` : `${unit}`;
    throw new CliUsageError(
      `--tile ${tile} is not a multiple of ${unit} (this model's VAE factor ${f} x latent multiple ${pipeline.latentMultiple}): pass ${nearest}, or 0 to turn tiling off.`,
    );
  }
  return { vaeTileSize: tile, latentTileSize: tile / f };
}
