/**
 * `@yonos/queue`: upscale jobs on a Redis queue with BullMQ. A producer enqueues a batch
 * ({@link enqueueUpscale}) and follows it ({@link watchUpscaleBatch}); workers on any number of
 * machines take the jobs ({@link createUpscaleWorker}) and compute each with a processor they
 * are given (the `yonos` package wires the real upscale: `createUpscaleProcessor` in
 * `yonos/queue`). Jobs are retried with backoff, recovered from workers that die, and kept
 * with their typed failure.
 * @module \@yonos/queue
 */
export { QueueConnectionError, QueueError, UnknownBatchError, UpscaleJobDataError, UpscaleJobFailedError } from './errors.js';
export type { UpscaleJobFailure } from './errors.js';
export { failureReason, parseFailureReason } from './failure-reason.js';
export type { ParsedFailureReason } from './failure-reason.js';

// Jobs.
export { UPSCALE_OUTPUT_FORMATS, parseUpscaleJobData, parseUpscaleJobSpec } from './job-data.js';
export type { UpscaleJobData, UpscaleJobOptions, UpscaleJobProgress, UpscaleJobResult, UpscaleJobSpec, UpscaleOutputFormat } from './job-data.js';
export { jobFailure, readUpscaleJob } from './job-record.js';
export type { UpscaleJobRecord, UpscaleJobState } from './job-record.js';

// The queue: connecting, enqueueing a batch, following it, its status, cancelling.
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_QUEUE_NAME, checkRedis } from './connection.js';
export { UPSCALE_JOB_NAME, openUpscaleQueue } from './queue.js';
export type { UpscaleBullQueue, UpscaleQueue, UpscaleQueueOptions } from './queue.js';
export { enqueueUpscale } from './enqueue.js';
export type { EnqueueUpscaleOptions, KeepFinishedJobs, UpscaleBatch } from './enqueue.js';
export { watchUpscaleBatch } from './watch.js';
export type {
  UpscaleBatchActiveEvent,
  UpscaleBatchCancelledEvent,
  UpscaleBatchCompletedEntry,
  UpscaleBatchCompletedEvent,
  UpscaleBatchEntry,
  UpscaleBatchEvent,
  UpscaleBatchEventBase,
  UpscaleBatchFailedEntry,
  UpscaleBatchFailedEvent,
  UpscaleBatchOutcome,
  UpscaleBatchProgressEvent,
  UpscaleBatchRetryingEvent,
  UpscaleBatchStalledEvent,
  WatchUpscaleBatchOptions,
} from './watch.js';
export { upscaleBatchStatus, upscaleQueueStatus } from './status.js';
export type { UpscaleBatchStatus, UpscaleQueueCounts, UpscaleQueueStatus } from './status.js';
export { cancelAllUpscales, cancelUpscaleBatch } from './cancel.js';
export type { UpscaleCancelResult } from './cancel.js';

// Workers.
export { DEFAULT_LOCK_DURATION_MS, createUpscaleWorker, isRetryableByDefault } from './worker.js';
export type {
  UpscaleJobContext,
  UpscaleJobProcessor,
  UpscaleWorker,
  UpscaleWorkerActiveEvent,
  UpscaleWorkerCompletedEvent,
  UpscaleWorkerErrorEvent,
  UpscaleWorkerEvent,
  UpscaleWorkerFailedEvent,
  UpscaleWorkerHandedBackEvent,
  UpscaleWorkerJobEventBase,
  UpscaleWorkerOptions,
  UpscaleWorkerReadyEvent,
} from './worker.js';
export { stopOnSignals } from './signals.js';
export type { SignalStop, StopPhase, StopSignal, StopSignalSource } from './signals.js';
