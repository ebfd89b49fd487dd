import { isAbsolute, relative } from 'node:path';
import { YonosError } from '@yonos/core';
import { PipelineAbortedError } from '@yonos/sampler';
import type { YonosPipeline } from '@yonos/sampler';
import { CliUsageError, oneLine } from '../errors.js';
import type { UpscaleJob } from './output-plan.js';
import type { UpscaleProgress } from './progress.js';
import { upscaleFile } from './upscale-file.js';
import type { UpscaleSettings } from './upscale-file.js';

/** How a batch ended. */
export interface BatchResult {
  /** Outputs written. */
  readonly written: readonly string[];
  /** Inputs (as displayed) that failed and were skipped. */
  readonly failed: readonly string[];
  /** The input (as displayed) the run was interrupted on, if it was. */
  readonly interruptedAt?: string;
}

/** What {@link runBatch} needs besides the pipeline and the jobs. */
export interface BatchOptions {
  readonly settings: UpscaleSettings;
  readonly progress: UpscaleProgress;
  /** Aborting stops the current image (nothing written for it) and the batch. */
  readonly signal?: AbortSignal;
  /** Print the stack of unexpected errors. */
  readonly verbose?: boolean;
}

/** A path as the user would recognize it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * Upscales the jobs one after another. An image that fails (unreadable, or marked with a
 * `problem` by the plan) is reported through `progress.log` as `warning: skipped ...` and the
 * batch goes on; an abort through `signal` ends it after freeing the current image's tensors.
 * Never throws for one image's failure.
 */
export async function runBatch(pipeline: YonosPipeline, jobs: readonly UpscaleJob[], options: BatchOptions): Promise<BatchResult> {
  const { progress, signal, settings } = options;
  const written: string[] = [];
  const failed: string[] = [];
  // A function, not a narrowed property: the signal changes while the image is upscaled.
  const aborted = (): boolean => signal?.aborted === true;
  for (const job of jobs) {
    const name = displayPath(job.input);
    if (aborted()) return { written, failed, interruptedAt: name };
    progress.startImage(name);
    try {
      if (job.problem !== undefined) throw new CliUsageError(job.problem);
      const out = await upscaleFile(pipeline, job, settings, { onProgress: (done, total, stage) => progress.updateImage(done, total, stage), ...(signal !== undefined ? { signal } : {}) });
      written.push(job.output);
      const alpha = out.droppedAlpha ? ' (alpha dropped: JPEG cannot hold it; use --format png or webp to keep it)' : '';
      progress.log(`${name} -> ${displayPath(job.output)} (${out.width}x${out.height})${alpha}`);
    } catch (err) {
      if (err instanceof PipelineAbortedError && aborted()) return { written, failed, interruptedAt: name };
      failed.push(name);
      const why = oneLine(err instanceof Error ? err.message : String(err));
      progress.log(`warning: skipped '${name}': ${why}${err instanceof YonosError ? '' : ' (unexpected: rerun with --verbose for details)'}`);
      if (options.verbose === true && err instanceof Error && err.stack !== undefined) progress.log(err.stack);
    }
    progress.finishImage();
  }
  return { written, failed };
}
