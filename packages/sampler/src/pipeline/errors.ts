import { YonosError } from '@yonos/core';
import type { YonosTiling } from './options.js';

/**
 * The pipeline was given something it cannot use: an image of the wrong rank or channels,
 * latents of the wrong shape, components that do not fit together, or bad options. The
 * message says what to pass instead.
 */
export class PipelineInputError extends YonosError {}

/**
 * A run was cancelled through its `AbortSignal`. `cause` is the signal's `reason`. Every
 * tensor the run had made is freed before this is thrown.
 */
export class PipelineAbortedError extends YonosError {
  constructor(reason?: unknown) {
    super('the YonosPipeline run was aborted through its AbortSignal; start a new run to try again.', { cause: reason });
  }
}

/**
 * A run whose tiles are chosen from the memory budget cannot fit it even with the smallest
 * tiles: the image-sized tensors the pipeline keeps (the upsampled image, the latents, the
 * decoded image) outgrow the budget by themselves. Thrown before anything is computed.
 * Raise `tile.memoryBudgetMB` to at least {@link PipelineMemoryError.requiredMB}, or give
 * tile sizes (`tile.vaeTileSize`, `tile.latentTileSize`) or `tile: false`, which run
 * without the budget.
 */
export class PipelineMemoryError extends PipelineInputError {
  /** The run's estimated peak tensor memory with the smallest tiles, in MiB (rounded up). */
  readonly requiredMB: number;
  /** The budget, in MiB. */
  readonly budgetMB: number;
  /** The tiling that was tried (the smallest tiles), with its estimates by stage. */
  readonly tiling: YonosTiling;

  /** @param tiling The plan whose `estimatedPeakBytes` exceeds its `memoryBudgetBytes`. */
  constructor(tiling: YonosTiling) {
    const mib = 2 ** 20;
    const requiredMB = Math.ceil(tiling.estimatedPeakBytes / mib);
    const budgetMB = tiling.memoryBudgetBytes / mib;
    const stages = Object.entries(tiling.estimatedStageBytes)
      .map(([stage, bytes]) => `${stage} ${Math.ceil(bytes / mib)}`)
      .join(', ');
    super(
      `this ${tiling.paddedWidth}x${tiling.paddedHeight} run needs an estimated ${requiredMB} MiB of tensor memory even with the smallest tiles ` +
        `(by stage, MiB: ${stages}), more than the memory budget of ${budgetMB} MiB; ` +
        `raise tile.memoryBudgetMB to at least ${requiredMB}, or give tile sizes (or tile: false) to run without the budget.`,
    );
    this.requiredMB = requiredMB;
    this.budgetMB = budgetMB;
    this.tiling = tiling;
  }
}
