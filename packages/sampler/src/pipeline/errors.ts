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
    super('the pipeline run was aborted through its AbortSignal; start a new run to try again.', { cause: reason });
  }
}

/** What a {@link PipelineMemoryError} reports of a run's tiling (`YonosTiling`, `UpscaleTiling`). */
export interface TilingEstimate {
  /** The memory budget, in bytes. */
  readonly memoryBudgetBytes: number;
  /** The run's estimated peak tensor memory with the tiling, in bytes. */
  readonly estimatedPeakBytes: number;
  /** The estimate by stage, in bytes. */
  readonly estimatedStageBytes: Readonly<Record<string, number>>;
}

/**
 * A run whose tiles are chosen from the memory budget cannot fit it even with the smallest
 * tiles: the image-sized tensors the pipeline keeps (the upsampled image, the latents, the
 * decoded image) outgrow the budget by themselves. Thrown before anything is computed, by
 * `YonosPipeline` and `StableDiffusionUpscalePipeline` alike.
 * Raise `tile.memoryBudgetMB` to at least {@link PipelineMemoryError.requiredMB}, or give
 * tile sizes (`tile.vaeTileSize`, `tile.latentTileSize`) or `tile: false`, which run
 * without the budget.
 */
export class PipelineMemoryError<T extends TilingEstimate = YonosTiling> extends PipelineInputError {
  /** The run's estimated peak tensor memory with the smallest tiles, in MiB (rounded up). */
  readonly requiredMB: number;
  /** The budget, in MiB. */
  readonly budgetMB: number;
  /** The tiling that was tried (the smallest tiles), with its estimates by stage. */
  readonly tiling: T;

  /**
   * @param tiling The plan whose `estimatedPeakBytes` exceeds its `memoryBudgetBytes`.
   * @param run What the message calls the run; default `this <W>x<H> run` with the padded size of a `YonosTiling`.
   */
  constructor(tiling: T, run: string = describeRun(tiling)) {
    const mib = 2 ** 20;
    const requiredMB = Math.ceil(tiling.estimatedPeakBytes / mib);
    const budgetMB = tiling.memoryBudgetBytes / mib;
    const stages = Object.entries(tiling.estimatedStageBytes)
      .map(([stage, bytes]) => `${stage} ${Math.ceil(bytes / mib)}`)
      .join(', ');
    super(
      `${run} needs an estimated ${requiredMB} MiB of tensor memory even with the smallest tiles ` +
        `(by stage, MiB: ${stages}), more than the memory budget of ${budgetMB} MiB; ` +
        `raise tile.memoryBudgetMB to at least ${requiredMB}, or give tile sizes (or tile: false) to run without the budget.`,
    );
    this.requiredMB = requiredMB;
    this.budgetMB = budgetMB;
    this.tiling = tiling;
  }
}

function describeRun(tiling: TilingEstimate): string {
  const { paddedWidth, paddedHeight } = tiling as Partial<YonosTiling>;
  return paddedWidth !== undefined && paddedHeight !== undefined ? `this ${paddedWidth}x${paddedHeight} run` : 'this run';
}
