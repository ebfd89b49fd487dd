/**
 * `yonos/queue`: upscaling on a Redis queue. Everything of `@yonos/queue` (enqueue a batch,
 * follow it, run workers), and the processor that computes a job as `yonos upscale` would,
 * to give to `createUpscaleWorker`:
 *
 * ```ts
 * import { createUpscaleProcessor, createUpscaleWorker, stopOnSignals } from 'yonos/queue';
 *
 * const processor = createUpscaleProcessor({ threads: 4 });
 * const worker = await createUpscaleWorker({ redis: 'redis://localhost:6379', process: processor.process, retryable: processor.retryable });
 * await stopOnSignals(worker).closed;
 * processor.dispose();
 * ```
 *
 * A separate entry point so that `import 'yonos'` does not load BullMQ and a Redis client.
 * @module yonos/queue
 */
// The whole public API of @yonos/queue, listed (as the umbrella lists its packages').
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_QUEUE_NAME,
  QueueConnectionError,
  QueueError,
  UPSCALE_JOB_NAME,
  UPSCALE_OUTPUT_FORMATS,
  UnknownBatchError,
  UpscaleJobDataError,
  UpscaleJobFailedError,
  cancelAllUpscales,
  cancelUpscaleBatch,
  checkRedis,
  createUpscaleWorker,
  enqueueUpscale,
  failureReason,
  isRetryableByDefault,
  jobFailure,
  openUpscaleQueue,
  parseFailureReason,
  parseUpscaleJobData,
  parseUpscaleJobSpec,
  readUpscaleJob,
  stopOnSignals,
  upscaleBatchStatus,
  upscaleQueueStatus,
  watchUpscaleBatch,
} from '@yonos/queue';
export type {
  EnqueueUpscaleOptions,
  KeepFinishedJobs,
  ParsedFailureReason,
  SignalStop,
  StopPhase,
  StopSignal,
  StopSignalSource,
  UpscaleBatch,
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
  UpscaleBatchStatus,
  UpscaleBullQueue,
  UpscaleCancelResult,
  UpscaleJobContext,
  UpscaleJobData,
  UpscaleJobFailure,
  UpscaleJobOptions,
  UpscaleJobProcessor,
  UpscaleJobProgress,
  UpscaleJobRecord,
  UpscaleJobResult,
  UpscaleJobSpec,
  UpscaleJobState,
  UpscaleOutputFormat,
  UpscaleQueue,
  UpscaleQueueCounts,
  UpscaleQueueOptions,
  UpscaleQueueStatus,
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
  WatchUpscaleBatchOptions,
} from '@yonos/queue';

export { createUpscaleProcessor, isRetryableUpscaleError } from './processor.js';
export type { UpscaleProcessor, UpscaleProcessorOptions } from './processor.js';
export { InputFetchError } from './fetch-input.js';
