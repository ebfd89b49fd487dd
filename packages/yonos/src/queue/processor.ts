import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { useBackend } from '@yonos/core';
import type { BackendInfo, BackendName } from '@yonos/core';
import { readImageInfo } from '@yonos/core/node';
import { isRetryableByDefault } from '@yonos/queue';
import type { UpscaleJobContext, UpscaleJobData, UpscaleJobProcessor, UpscaleJobResult } from '@yonos/queue';
import { bundledModelRoot } from '../bundled-model.js';
import { chooseScale, readModelIndex, resolveModelDir } from '../cli/upscale/model.js';
import { OutputWriteError } from '../cli/upscale/output-files.js';
import { tileOptions } from '../cli/upscale/tile.js';
import { upscaleFile } from '../cli/upscale/upscale-file.js';
import { yonosImageUpscaler } from '../cli/upscale/yonos-image-upscaler.js';
import { InputFetchError, localInput } from './fetch-input.js';
import { PipelineSlot } from './pipeline-slot.js';
import { removeStaleTemporaryFiles } from './stale-temps.js';

/** Options of {@link createUpscaleProcessor}. */
export interface UpscaleProcessorOptions {
  /** The backend of jobs that name none; default core's default (wasm in Node, cpu if wasm cannot start). */
  readonly backend?: BackendName;
  /** wasm threads (1 to 256); default `YONOS_THREADS`, else every core. The count does not change results. */
  readonly threads?: number;
  /** The bundled models' folder, default the `yonos` package's `model/` (jobs without a model use `x<scale>/` in it). */
  readonly bundledModelRoot?: string;
  /** Starts a backend (`undefined`: the default), default core's `useBackend` with `threads`. */
  readonly activateBackend?: (backend: BackendName | undefined) => Promise<BackendInfo>;
}

/** A processor for `createUpscaleWorker` (see {@link createUpscaleProcessor}). */
export interface UpscaleProcessor {
  /** Computes one job. */
  readonly process: UpscaleJobProcessor;
  /** Whether an error is worth a retry: written files (`OutputWriteError`), network downloads and unexpected errors are; bad images, models and options are not. */
  readonly retryable: (error: unknown) => boolean;
  /** Frees the loaded model's weights. */
  dispose(): void;
}

/** {@link UpscaleProcessor.retryable}. */
export function isRetryableUpscaleError(error: unknown): boolean {
  if (error instanceof OutputWriteError) return true;
  if (error instanceof InputFetchError) return error.retryable;
  return isRetryableByDefault(error);
}

/**
 * The real upscale as a queue worker's processor: each job is computed as `yonos upscale`
 * computes an image with the same options (same code, so the same bytes on the same backend).
 * The model is resolved and checked before anything loads; the pipeline stays loaded between
 * jobs of the same model and backend (another one replaces it). Jobs compute one at a time even
 * with a worker concurrency above 1 (tfjs runs one model at a time in a process); their inputs
 * download meanwhile. Outputs are written through a temporary file and a rename; a job started
 * before by a worker that died first removes the temporary files that run left.
 */
export function createUpscaleProcessor(options: UpscaleProcessorOptions = {}): UpscaleProcessor {
  const activate = options.activateBackend ?? ((backend: BackendName | undefined) => useBackend(backend ?? options.backend, options.threads !== undefined ? { wasmThreads: options.threads } : {}));
  const slot = new PipelineSlot(activate);
  const bundled = options.bundledModelRoot ?? bundledModelRoot();
  let turn: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(task: () => Promise<T>): Promise<T> => {
    const run = turn.then(task, task);
    turn = run.catch(() => undefined);
    return run;
  };

  const processJob = async (job: UpscaleJobData, context: UpscaleJobContext): Promise<UpscaleJobResult> => {
    const start = performance.now();
    const { options: o } = job;
    const modelDir = resolveModelDir(o.model, { scale: o.scale, bundled });
    // The job's scale must be the model's; the pipeline then upscales by its own factor.
    chooseScale(o.scale, await readModelIndex(modelDir), modelDir);
    try {
      await mkdir(dirname(job.output), { recursive: true });
    } catch (cause) {
      throw new OutputWriteError(job.output, cause);
    }
    if (context.restarted) await removeStaleTemporaryFiles(job.output);
    const input = await localInput(job.input, context.signal);
    try {
      const info = await readImageInfo(input.path).catch(() => undefined);
      return await oneAtATime(async () => {
        const { pipeline, backend } = await slot.get(o.backend, modelDir);
        const tile = tileOptions(o.tile, pipeline, o.memory);
        const out = await upscaleFile(
          yonosImageUpscaler(pipeline, { steps: o.steps, seed: o.seed, tile }),
          { input: input.path, output: job.output, format: o.format, ...(info !== undefined ? { info } : {}) },
          { quality: o.quality },
          { onProgress: (completed, total, stage) => context.progress({ completed, total, stage }), signal: context.signal },
        );
        return { output: job.output, ...out, backend, seconds: (performance.now() - start) / 1000 };
      });
    } finally {
      await input.dispose();
    }
  };
  return { process: processJob, retryable: isRetryableUpscaleError, dispose: () => slot.dispose() };
}
