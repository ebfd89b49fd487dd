import type { ProgressEvent, RawImage } from '@yonos/core';

/** Progress within one image: `completed` of `total` model evaluations, in `stage` (`read`, `encode`, `denoise`, `decode`). */
export type ImageProgressCallback = (completed: number, total: number, stage: string) => void;

/** The model evaluations of one image by pipeline stage, in the order they run: `[['denoise', 4], ['decode', 1]]`. */
export type StageEvaluations = readonly (readonly [stage: string, evaluations: number])[];

/**
 * A loaded pipeline with the run settings of one command (steps, seed, tiling...), as
 * `upscaleFile` uses it: `YonosPipeline` folders and Stable Diffusion upscaler folders each
 * have one (`yonosImageUpscaler`, `sdImageUpscaler`), so the batch, its outputs, progress and
 * Ctrl-C handling are the same code for both.
 */
export interface ImageUpscaler {
  /** The upscaling factor. */
  readonly scale: number;
  /** The model evaluations an image of `height x width` takes, by stage (tiles per stage, times the steps for the U-Net). */
  evaluations(height: number, width: number): StageEvaluations;
  /**
   * Upscales one image (alpha and gray kept, as the pipelines' `upscale` does).
   * @param control `onProgress` gets the pipeline's per-stage events; `signal` aborts with `PipelineAbortedError`.
   */
  upscale(image: RawImage, control: { readonly onProgress?: (event: ProgressEvent) => void; readonly signal?: AbortSignal }): Promise<RawImage>;
}

/** Model evaluations of one image in all. */
export function evaluationTotal(evaluations: StageEvaluations): number {
  return evaluations.reduce((sum, [, n]) => sum + n, 0);
}

/** Maps a pipeline's per-stage events to one count over the whole image. */
export function imageProgress(evaluations: StageEvaluations, callback: ImageProgressCallback): (event: ProgressEvent) => void {
  const total = evaluationTotal(evaluations);
  const offset = new Map<string, number>();
  let before = 0;
  for (const [stage, n] of evaluations) {
    offset.set(stage, before);
    before += n;
  }
  return (event) => callback(Math.min(total, (offset.get(event.stage) ?? 0) + event.completed), total, event.stage);
}
