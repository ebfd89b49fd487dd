import { PipelineMemoryError } from '../pipeline/errors.js';
import type { UpscaleTiling } from './tiling.js';

/**
 * The {@link PipelineMemoryError} of a `StableDiffusionUpscalePipeline` run (the error
 * `YonosPipeline` throws for the same reason): budget-chosen tiles cannot meet the budget.
 * @deprecated Catch `PipelineMemoryError`, which this extends; it is still thrown, so existing
 *   `instanceof UpscaleMemoryError` checks keep working.
 */
export class UpscaleMemoryError extends PipelineMemoryError<UpscaleTiling> {
  /** @param tiling The plan whose `estimatedPeakBytes` exceeds its `memoryBudgetBytes`. */
  constructor(tiling: UpscaleTiling) {
    super(tiling, `this upscale of a ${tiling.latentWidth}x${tiling.latentHeight} latent`);
  }
}
