/**
 * `@yonos/queue`: upscale jobs on a Redis queue with BullMQ. A producer enqueues a batch
 * ({@link enqueueUpscale}) and follows it ({@link watchUpscaleBatch}); workers on any number of
 * machines take the jobs ({@link createUpscaleWorker}) and compute each with a processor they
 * are given (the `yonos` package wires the real upscale: `createUpscaleProcessor` in
 * `yonos/queue`). Jobs are retried with backoff, recovered from workers that die, and kept
 * with their typed failure.
 * @module \@yonos/queue
 */
export * from './errors.js';
export { failureReason, parseFailureReason } from './failure-reason.js';
export type { ParsedFailureReason } from './failure-reason.js';
export * from './job-data.js';
export * from './connection.js';
export { batchJobId, batchJobIds, newBatchId } from './batch-id.js';
export * from './queue.js';
export * from './enqueue.js';
export * from './job-record.js';
export * from './watch.js';
export * from './status.js';
export * from './cancel.js';
export * from './worker.js';
export * from './signals.js';
