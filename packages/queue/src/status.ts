import { batchJobIds } from './batch-id.js';
import { UnknownBatchError } from './errors.js';
import type { UpscaleJobFailedError } from './errors.js';
import { jobFailure, readUpscaleJob } from './job-record.js';
import type { UpscaleJobState } from './job-record.js';
import type { UpscaleQueue } from './queue.js';

/** Job counts of a whole queue, by state. */
export interface UpscaleQueueCounts {
  /** Jobs no worker has taken yet. */
  readonly waiting: number;
  /** Waiting jobs with a priority (none unless set through BullMQ). */
  readonly prioritized: number;
  /** Jobs waiting for their backoff before a retry. */
  readonly delayed: number;
  /** Jobs a worker is computing. */
  readonly active: number;
  /** Jobs written and still kept. */
  readonly completed: number;
  /** Jobs failed for good and still kept. */
  readonly failed: number;
}

/** Where a queue stands (see {@link upscaleQueueStatus}). */
export interface UpscaleQueueStatus {
  /** The queue's name. */
  readonly name: string;
  /** Jobs by state. */
  readonly counts: UpscaleQueueCounts;
  /** Workers connected to the queue now. */
  readonly workers: number;
  /** Whether the queue is paused (workers take no job). */
  readonly paused: boolean;
}

/** Where a batch stands (see {@link upscaleBatchStatus}). */
export interface UpscaleBatchStatus {
  /** The batch id. */
  readonly batch: string;
  /** Jobs in the batch. */
  readonly size: number;
  /** Jobs by state; `missing` are cancelled, or finished and removed after their retention time. */
  readonly counts: Readonly<Record<UpscaleJobState, number>>;
  /** The failures of the failed jobs, in batch order. */
  readonly failures: readonly UpscaleJobFailedError[];
}

/** Counts a queue's jobs by state and its connected workers. */
export async function upscaleQueueStatus(queue: UpscaleQueue): Promise<UpscaleQueueStatus> {
  const counts = await queue.bullmq.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
  return {
    name: queue.name,
    counts: {
      waiting: counts['waiting'] ?? 0,
      prioritized: counts['prioritized'] ?? 0,
      delayed: counts['delayed'] ?? 0,
      active: counts['active'] ?? 0,
      completed: counts['completed'] ?? 0,
      failed: counts['failed'] ?? 0,
    },
    workers: await queue.bullmq.getWorkersCount(),
    paused: await queue.bullmq.isPaused(),
  };
}

/**
 * Reads the state of every job of a batch.
 * @throws `UnknownBatchError` for an id that is not a batch id, or a batch none of whose jobs is in the queue.
 */
export async function upscaleBatchStatus(queue: UpscaleQueue, batch: string): Promise<UpscaleBatchStatus> {
  const ids = batchJobIds(batch);
  const counts: Record<UpscaleJobState, number> = { waiting: 0, prioritized: 0, delayed: 0, active: 0, completed: 0, failed: 0, 'waiting-children': 0, missing: 0 };
  const failures: UpscaleJobFailedError[] = [];
  for (let i = 0; i < ids.length; i += 64) {
    const records = await Promise.all(ids.slice(i, i + 64).map((id) => readUpscaleJob(queue, id)));
    for (const record of records) {
      counts[record.state]++;
      if (record.state === 'failed' && record.job !== undefined) failures.push(jobFailure(record.job));
    }
  }
  if (counts.missing === ids.length) {
    throw new UnknownBatchError(`No job of batch ${batch} is in the queue '${queue.name}' on ${queue.redis}: check --queue and --redis, or the batch was cancelled or finished longer ago than its jobs are kept.`);
  }
  return { batch, size: ids.length, counts, failures };
}
