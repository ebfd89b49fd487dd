import { batchJobId, newBatchId } from './batch-id.js';
import { parseUpscaleJobSpec } from './job-data.js';
import type { UpscaleJobData, UpscaleJobSpec } from './job-data.js';
import { UPSCALE_JOB_NAME } from './queue.js';
import type { UpscaleQueue } from './queue.js';

/** Retry and retention settings of {@link enqueueUpscale}. */
export interface EnqueueUpscaleOptions {
  /** Attempts per job before it fails for good, default 3 (errors a retry cannot fix fail at the first). */
  readonly attempts?: number;
  /** Delay before the first retry in milliseconds, doubled for each further one (default 2000). */
  readonly backoffMs?: number;
  /** How long finished jobs stay in Redis for status and results. */
  readonly keepSeconds?: KeepFinishedJobs;
}

/** How long finished jobs stay in Redis, in seconds (removed when a later job of the queue finishes). */
export interface KeepFinishedJobs {
  /** Completed jobs, default a week. */
  readonly completed?: number;
  /** Failed jobs, default 30 days. */
  readonly failed?: number;
}

/** A batch of jobs enqueued together (see {@link enqueueUpscale}). */
export interface UpscaleBatch {
  /** The batch id, `3fa9c2d1-16`: 8 hex digits and the number of jobs. */
  readonly id: string;
  /** The jobs' ids (`<batch>-<index>`), in order. */
  readonly jobIds: readonly string[];
  /** The jobs' data, in order. */
  readonly jobs: readonly UpscaleJobData[];
}

const DAY = 24 * 3600;
/** addBulk sends one transaction per call: chunks keep each one short. */
const CHUNK = 500;

/**
 * Adds one job per spec to the queue, as one batch with a new id. Each job is retried with
 * exponential backoff (`attempts`, `backoffMs`); finished jobs are kept for `keepSeconds`. Specs
 * are checked before anything is added.
 * @returns The batch: its id and its jobs, to follow with {@link watchUpscaleBatch}.
 * @throws `UpscaleJobDataError` for a spec that is not a valid job (nothing is enqueued).
 */
export async function enqueueUpscale(queue: UpscaleQueue, specs: readonly UpscaleJobSpec[], options: EnqueueUpscaleOptions = {}): Promise<UpscaleBatch> {
  const checked = specs.map((spec) => parseUpscaleJobSpec(spec));
  const id = newBatchId(checked.length);
  const jobs: UpscaleJobData[] = checked.map((spec, index) => ({ ...spec, batch: id, index }));
  const jobIds = jobs.map((_, index) => batchJobId(id, index));
  const opts = {
    attempts: options.attempts ?? 3,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 2000 },
    removeOnComplete: { age: options.keepSeconds?.completed ?? 7 * DAY },
    removeOnFail: { age: options.keepSeconds?.failed ?? 30 * DAY },
  };
  for (let start = 0; start < jobs.length; start += CHUNK) {
    await queue.bullmq.addBulk(
      jobs.slice(start, start + CHUNK).map((data, i) => ({ name: UPSCALE_JOB_NAME, data, opts: { ...opts, jobId: jobIds[start + i]! } })),
    );
  }
  return { id, jobIds, jobs };
}
