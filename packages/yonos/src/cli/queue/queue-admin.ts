import { cancelAllUpscales, cancelUpscaleBatch, openUpscaleQueue, upscaleBatchStatus, upscaleQueueStatus } from '@yonos/queue';
import type { UpscaleQueue } from '@yonos/queue';
import { type CliIO, writeLine } from '../io.js';
import type { QueueCancelOptions, QueueStatusOptions } from './command-options.js';

async function withQueue(options: { readonly redis: string; readonly queue?: string | undefined }, run: (queue: UpscaleQueue) => Promise<void>): Promise<void> {
  const queue = await openUpscaleQueue({ redis: options.redis, ...(options.queue !== undefined ? { name: options.queue } : {}) });
  try {
    await run(queue);
  } finally {
    await queue.close();
  }
}

/** `yonos queue status`: the queue's jobs by state and its workers, or one batch's jobs and failures. */
export async function runQueueStatus(options: QueueStatusOptions, io: CliIO): Promise<void> {
  await withQueue(options, async (queue) => {
    if (options.batch !== undefined) {
      const status = await upscaleBatchStatus(queue, options.batch);
      if (options.json) {
        const failures = status.failures.map((f) => ({ jobId: f.jobId, input: f.input, error: f.errorName, reason: f.reason, attempts: f.attempts }));
        writeLine(io.stdout, JSON.stringify({ queue: queue.name, batch: status.batch, size: status.size, counts: status.counts, failures }));
        return;
      }
      const parts = Object.entries(status.counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`);
      writeLine(io.stdout, `Batch ${status.batch} on queue '${queue.name}' at ${queue.redis} (${status.size} images): ${parts.join(', ')}.`);
      for (const f of status.failures) writeLine(io.stdout, `failed: ${f.input}: ${f.errorName}: ${f.reason} (${f.attempts} attempt${f.attempts === 1 ? '' : 's'})`);
      return;
    }
    const status = await upscaleQueueStatus(queue);
    if (options.json) {
      writeLine(io.stdout, JSON.stringify(status));
      return;
    }
    const c = status.counts;
    writeLine(
      io.stdout,
      `Queue '${queue.name}' at ${queue.redis}${status.paused ? ' (paused)' : ''}: ${status.workers} worker${status.workers === 1 ? '' : 's'} connected; ` +
        `${c.waiting + c.prioritized} waiting, ${c.active} active, ${c.delayed} delayed (retries), ${c.completed} completed, ${c.failed} failed.`,
    );
  });
}

/** `yonos queue cancel`: removes the jobs of a batch (or of all) that no worker has taken. */
export async function runQueueCancel(options: QueueCancelOptions, io: CliIO): Promise<void> {
  await withQueue(options, async (queue) => {
    const result = options.batch !== undefined ? await cancelUpscaleBatch(queue, options.batch) : await cancelAllUpscales(queue);
    const what = options.batch !== undefined ? `batch ${options.batch}` : `every batch of queue '${queue.name}'`;
    writeLine(
      io.stdout,
      `Cancelled ${what}: removed ${result.removed} job${result.removed === 1 ? '' : 's'} no worker had taken; ${result.running} running will finish; ${result.finished} had finished already.`,
    );
  });
}
