import { PipelineInputError } from '../pipeline/errors.js';
import type { UpscaleTiling } from './tiling.js';

/**
 * A `StableDiffusionUpscalePipeline` run whose tiles are chosen from the memory budget cannot fit
 * it even with the smallest tiles. Thrown before anything is computed. Raise
 * `tile.memoryBudgetMB` to at least {@link UpscaleMemoryError.requiredMB}, or give tile sizes
 * (or `tile: false`), which run without the budget.
 */
export class UpscaleMemoryError extends PipelineInputError {
  /** The run's estimated peak tensor memory with the smallest tiles, in MiB (rounded up). */
  readonly requiredMB: number;
  /** The budget, in MiB. */
  readonly budgetMB: number;
  /** The tiling that was tried (the smallest tiles), with its estimates by stage. */
  readonly tiling: UpscaleTiling;

  /** @param tiling The plan whose `estimatedPeakBytes` exceeds its `memoryBudgetBytes`. */
  constructor(tiling: UpscaleTiling) {
    const mib = 2 ** 20;
    const requiredMB = Math.ceil(tiling.estimatedPeakBytes / mib);
    const budgetMB = tiling.memoryBudgetBytes / mib;
    super(
      `this upscale of a ${tiling.latentWidth}x${tiling.latentHeight} latent needs an estimated ${requiredMB} MiB of tensor memory even with ` +
        `the smallest tiles (denoise ${Math.ceil(tiling.estimatedStageBytes.denoise / mib)}, decode ${Math.ceil(tiling.estimatedStageBytes.decode / mib)}), ` +
        `more than the memory budget of ${budgetMB} MiB; raise tile.memoryBudgetMB to at least ${requiredMB}, or give tile sizes (or tile: false).`,
    );
    this.requiredMB = requiredMB;
    this.budgetMB = budgetMB;
    this.tiling = tiling;
  }
}
