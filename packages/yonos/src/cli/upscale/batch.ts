import { YonosError } from '@yonos/core';
import { PipelineAbortedError, PipelineMemoryError } from '@yonos/sampler';
import { CliUsageError, oneLine } from '../errors.js';
import { displayPath } from './display-path.js';
import { OutputWriteError } from './output-files.js';
import type { OutputFiles } from './output-files.js';
import type { UpscaleJob } from './output-plan.js';
import type { UpscaleProgress } from './progress.js';
import type { ImageUpscaler } from './image-upscaler.js';
import { memoryAdvice } from './tile.js';
import { upscaleFile } from './upscale-file.js';
import type { OutputSettings } from './upscale-file.js';

export { displayPath } from './display-path.js';

/** How a batch ended. */
export interface BatchResult {
  /** Outputs written. */
  readonly written: readonly string[];
  /** Inputs (as displayed) that failed and were skipped. */
  readonly failed: readonly string[];
  /** Inputs (as displayed) that are animations (or have several pages): only their first frame was upscaled. */
  readonly firstFrameOnly: readonly string[];
  /** The input (as displayed) the run was interrupted on, if it was. */
  readonly interruptedAt?: string;
  /** Set when the batch stopped because no output could be written any more (disk full, no permission). */
  readonly stopped?: OutputWriteError;
  /** The jobs not done because the batch ended early (interrupted or stopped), the current one first. */
  readonly notDone: readonly UpscaleJob[];
}

/** What {@link runBatch} needs besides the pipeline and the jobs. */
export interface BatchOptions {
  /** How outputs are encoded. */
  readonly settings: OutputSettings;
  readonly progress: UpscaleProgress;
  /** Aborting stops the current image (nothing written for it) and the batch. */
  readonly signal?: AbortSignal;
  /** Print the stack of unexpected errors. */
  readonly verbose?: boolean;
  /** How outputs are written (default `node:fs`; tests simulate a full disk). */
  readonly files?: OutputFiles;
}

/**
 * Upscales the jobs one after another with `upscaler` (`jobs` are those to compute: kept outputs are left out
 * by the caller). An image that fails (unreadable, or marked with a `problem` by the plan) is
 * reported through `progress.failed` and the batch goes on. A write that fails in a way that
 * would fail every following image too (disk full, permission denied: see
 * `OutputWriteError.stopsBatch`) ends the batch, as does an abort through `signal`; the
 * outputs written so far stay whole (each is written through a temporary file and a rename)
 * and {@link BatchResult.notDone} lists the rest. Never throws for one image's failure.
 */
export async function runBatch(upscaler: ImageUpscaler, jobs: readonly UpscaleJob[], options: BatchOptions): Promise<BatchResult> {
  const { progress, signal, settings } = options;
  const written: string[] = [];
  const failed: string[] = [];
  const firstFrameOnly: string[] = [];
  const done = (index: number, end: { interruptedAt?: string; stopped?: OutputWriteError } = {}): BatchResult => ({
    written,
    failed,
    firstFrameOnly,
    ...end,
    notDone: jobs.slice(index),
  });
  // A function, not a narrowed property: the signal changes while the image is upscaled.
  const aborted = (): boolean => signal?.aborted === true;
  for (const [index, job] of jobs.entries()) {
    const name = displayPath(job.input);
    if (aborted()) return done(index, { interruptedAt: name });
    progress.startImage(index, job.input, job.output);
    try {
      if (job.problem !== undefined) throw new CliUsageError(job.problem);
      const out = await upscaleFile(upscaler, job, settings, {
        onProgress: (completed, total, stage) => progress.updateImage(completed, total, stage),
        ...(signal !== undefined ? { signal } : {}),
        ...(options.files !== undefined ? { files: options.files } : {}),
      });
      written.push(job.output);
      if (out.frames > 1) firstFrameOnly.push(name);
      progress.written(index, { input: job.input, output: job.output, width: out.width, height: out.height, frames: out.frames, alphaDropped: out.droppedAlpha });
    } catch (err) {
      if (err instanceof PipelineAbortedError && aborted()) return done(index, { interruptedAt: name });
      if (err instanceof OutputWriteError && err.stopsBatch) {
        progress.failed(index, job.input, `${oneLine(err.message)} Stopping: the other images could not be written either.`);
        return done(index, { stopped: err });
      }
      failed.push(name);
      // Both pipelines throw PipelineMemoryError for a budget no tiling meets.
      const why = err instanceof PipelineMemoryError ? memoryAdvice(err) : oneLine(err instanceof Error ? err.message : String(err));
      progress.failed(index, job.input, `${why}${err instanceof YonosError ? '' : ' (unexpected: rerun with --verbose for details)'}`);
      if (options.verbose === true && err instanceof Error && err.stack !== undefined) progress.log(err.stack);
    }
  }
  return done(jobs.length);
}
