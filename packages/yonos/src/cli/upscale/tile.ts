import type { PipelineMemoryError, YonosTileOptions } from '@yonos/sampler';
import { CliUsageError } from '../errors.js';

/** The tiling `yonos upscale` asks a pipeline for: a memory budget, or fixed tile sizes; both pipelines take it. */
export type CliTileOptions = Pick<YonosTileOptions, 'memoryBudgetMB' | 'vaeTileSize' | 'latentTileSize'>;

/**
 * The per-image message for a run that cannot fit the memory budget even with the smallest
 * tiles, in the command's terms (`--memory`, `--tile`) rather than the library's.
 */
export function memoryAdvice(err: Pick<PipelineMemoryError, 'requiredMB' | 'budgetMB'>): string {
  return (
    `it needs an estimated ${err.requiredMB} MiB of tensor memory even with the smallest tiles, more than the budget of ${err.budgetMB} MiB: ` +
    `pass --memory ${err.requiredMB} (or more, if the machine has it), or --tile <px> to run with fixed tiles and no budget.`
  );
}

/**
 * The pipeline's tiling for `--tile N`, N in **output pixels**: the edge of the VAE's tiles
 * (`vaeTileSize = N`) and of the U-Net's tiles in latent space (`latentTileSize = N / f`, the
 * same area). N must be a multiple of `f * latentMultiple` (64 for Stable-Diffusion-sized
 * models) so both tile sizes are valid; `0` turns tiling off; absent, tiles are chosen from
 * the pipeline's memory budget (none when the image fits): `memoryMB` (`--memory`), else the
 * pipeline's default (1024 MiB).
 * @throws {@link CliUsageError} for an N that is not such a multiple, naming the nearest valid ones.
 */
export function tileOptions(
  tile: number | undefined,
  pipeline: { readonly vae: { readonly downsampleFactor: number }; readonly latentMultiple: number },
  memoryMB?: number,
): boolean | CliTileOptions | undefined {
  if (tile === undefined) return memoryMB === undefined ? undefined : { memoryBudgetMB: memoryMB };
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
