import { batchJobIds } from './batch-id.js';
import { UnknownBatchError } from './errors.js';
import { readUpscaleJob } from './job-record.js';
import type { UpscaleQueue } from './queue.js';

/** What {@link cancelUpscaleBatch} and {@link cancelAllUpscales} did. */
export interface UpscaleCancelResult {
  /** Jobs removed before any worker took them (waiting, or delayed before a retry). */
  readonly removed: number;
  /** Jobs a worker is computing now: they finish (one image each) and are not cancelled. */
  readonly running: number;
  /** Jobs that had finished already (completed or failed), left as they are. */
  readonly finished: number;
}

const NOT_STARTED = new Set(['waiting', 'prioritized', 'delayed']);

/**
 * Removes the jobs of a batch that no worker has taken yet. Running jobs finish; their watchers
 * (see {@link watchUpscaleBatch}) see the removed ones as cancelled.
 * @throws `UnknownBatchError` for an id that is not a batch id, or a batch none of whose jobs is in the queue.
 */
export async function cancelUpscaleBatch(queue: UpscaleQueue, batch: string): Promise<UpscaleCancelResult> {
  const ids = batchJobIds(batch);
  let removed = 0;
  let running = 0;
  let finished = 0;
  let missing = 0;
  for (const id of ids) {
    const record = await readUpscaleJob(queue, id);
    if (record.state === 'missing') missing++;
    else if (record.state === 'active') running++;
    else if (record.state === 'completed' || record.state === 'failed') finished++;
    else if (NOT_STARTED.has(record.state)) {
      // remove() refuses a job a worker has just locked: it then counts as running.
      const gone = await queue.bullmq.remove(id);
      if (gone === 1) removed++;
      else running++;
    }
  }
  if (missing === ids.length) {
    throw new UnknownBatchError(`No job of batch ${batch} is in the queue '${queue.name}' on ${queue.redis}: check --queue and --redis.`);
  }
  return { removed, running, finished };
}

/** Removes every job of the queue that no worker has taken yet (all batches); running jobs finish. */
export async function cancelAllUpscales(queue: UpscaleQueue): Promise<UpscaleCancelResult> {
  const before = await queue.bullmq.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
  await queue.bullmq.drain(true);
  const notStarted = (before['waiting'] ?? 0) + (before['prioritized'] ?? 0) + (before['delayed'] ?? 0);
  return { removed: notStarted, running: before['active'] ?? 0, finished: (before['completed'] ?? 0) + (before['failed'] ?? 0) };
}
