import type { Job } from 'bullmq';
import { UpscaleJobFailedError } from './errors.js';
import { parseFailureReason } from './failure-reason.js';
import type { UpscaleJobData, UpscaleJobResult } from './job-data.js';
import type { UpscaleQueue } from './queue.js';

/** Where a job is: BullMQ's states, and `missing` for a job no longer in Redis (cancelled, or finished long ago and removed). */
export type UpscaleJobState = 'waiting' | 'prioritized' | 'delayed' | 'active' | 'completed' | 'failed' | 'waiting-children' | 'missing';

/** A job as read from Redis: its state and, unless missing, the job. */
export interface UpscaleJobRecord {
  /** Where the job is. */
  readonly state: UpscaleJobState;
  /** The BullMQ job, unless missing. */
  readonly job?: Job<UpscaleJobData, UpscaleJobResult>;
}

/** Reads a job's state and then the job, so a finished job's result or failure is complete. */
export async function readUpscaleJob(queue: UpscaleQueue, jobId: string): Promise<UpscaleJobRecord> {
  const state = await queue.bullmq.getJobState(jobId);
  if (state === 'unknown') return { state: 'missing' };
  const job = await queue.bullmq.getJob(jobId);
  return job === undefined ? { state: 'missing' } : { state, job };
}

/** The typed failure of a failed job (or of its last failed attempt), from the reason the worker stored. */
export function jobFailure(job: Job<UpscaleJobData, UpscaleJobResult>): UpscaleJobFailedError {
  const { errorName, reason } = parseFailureReason(job.failedReason ?? 'Error: unknown failure');
  return new UpscaleJobFailedError({ jobId: job.id ?? '', input: job.data.input, errorName, reason, attempts: job.attemptsMade });
}
