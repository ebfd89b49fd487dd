import { hostname } from 'node:os';
import { YonosError } from '@yonos/core';
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { checkQueueName, checkRedis, connectionOptions, DEFAULT_QUEUE_NAME } from './connection.js';
import { failureReason } from './failure-reason.js';
import { parseUpscaleJobData } from './job-data.js';
import type { UpscaleJobData, UpscaleJobProgress, UpscaleJobResult } from './job-data.js';

/**
 * The default lock of a job, in milliseconds: one minute, twice BullMQ's default, because a
 * processor that computes on the worker's own thread delays the lock's renewal by up to one
 * model evaluation (seconds on a loaded machine, one tile of a large image).
 */
export const DEFAULT_LOCK_DURATION_MS = 60_000;

/** What a processor gets besides the job's data. */
export interface UpscaleJobContext {
  /** The job's id in the queue. */
  readonly jobId: string;
  /** This attempt's number, from 1 (failed attempts before it, plus one). */
  readonly attempt: number;
  /**
   * True when this job was taken before and not finished: its worker was killed (the job was
   * recovered when its lock expired) or handed it back. That run may have left a temporary file.
   */
  readonly restarted: boolean;
  /** Aborted when the job must stop: the worker hands its jobs back (see {@link UpscaleWorker.handBack}). */
  readonly signal: AbortSignal;
  /** Reports progress within the image (sent to Redis in the background; watchers see it as `progress` events). */
  progress(progress: UpscaleJobProgress): void;
}

/**
 * Computes one job: reads `job.input`, upscales it with `job.options` and writes `job.output`
 * atomically, so that running a job twice (a retry, or a recovery after a crash) is harmless.
 * Throw to fail the attempt; the worker's `retryable` decides whether it is retried.
 */
export type UpscaleJobProcessor = (job: UpscaleJobData, context: UpscaleJobContext) => Promise<UpscaleJobResult>;

/** The worker is connected and takes jobs. */
export interface UpscaleWorkerReadyEvent {
  /** Which event. */
  readonly type: 'ready';
}

/** What the events about one job carry. */
export interface UpscaleWorkerJobEventBase {
  /** The job's id in the queue. */
  readonly jobId: string;
  /** The job's data. */
  readonly job: UpscaleJobData;
}

/** A job starts. */
export interface UpscaleWorkerActiveEvent extends UpscaleWorkerJobEventBase {
  /** Which event. */
  readonly type: 'active';
  /** This attempt's number, from 1. */
  readonly attempt: number;
  /** The job was taken before and not finished (see {@link UpscaleJobContext.restarted}). */
  readonly restarted: boolean;
}

/** A job's output is written. */
export interface UpscaleWorkerCompletedEvent extends UpscaleWorkerJobEventBase {
  /** Which event. */
  readonly type: 'completed';
  /** What the processor wrote. */
  readonly result: UpscaleJobResult;
}

/** An attempt failed. */
export interface UpscaleWorkerFailedEvent {
  /** Which event. */
  readonly type: 'failed';
  /** The job's id in the queue. */
  readonly jobId: string;
  /** The job's data; absent when it was not an upscale job. */
  readonly job: UpscaleJobData | undefined;
  /** `<error class>: <message>`, as stored in the queue. */
  readonly reason: string;
  /** Whether the job will be tried again. */
  readonly retrying: boolean;
}

/** A job was stopped and returned to the queue for another worker (see {@link UpscaleWorker.handBack}). */
export interface UpscaleWorkerHandedBackEvent extends UpscaleWorkerJobEventBase {
  /** Which event. */
  readonly type: 'handed-back';
}

/** A connection error (Redis went away); the worker reconnects by itself. */
export interface UpscaleWorkerErrorEvent {
  /** Which event. */
  readonly type: 'error';
  /** The connection's error message. */
  readonly message: string;
}

/** What a worker reports through {@link UpscaleWorkerOptions.onEvent}; `type` tells which. */
export type UpscaleWorkerEvent =
  | UpscaleWorkerReadyEvent
  | UpscaleWorkerActiveEvent
  | UpscaleWorkerCompletedEvent
  | UpscaleWorkerFailedEvent
  | UpscaleWorkerHandedBackEvent
  | UpscaleWorkerErrorEvent;

/** Options of {@link createUpscaleWorker}. */
export interface UpscaleWorkerOptions {
  /** The Redis server: `redis://host:port[/db]` (`rediss://` for TLS). */
  readonly redis: string;
  /** The queue to take jobs from, default {@link DEFAULT_QUEUE_NAME}. */
  readonly queueName?: string;
  /** BullMQ's key prefix, default `bull` (the producers' must match). */
  readonly prefix?: string;
  /** Computes a job. */
  readonly process: UpscaleJobProcessor;
  /**
   * Whether an error is worth a retry. Default: any error but YONOS's own (`YonosError`), which
   * describe bad input or settings that a retry cannot fix; those fail the job at once.
   */
  readonly retryable?: (error: unknown) => boolean;
  /** Jobs held at once, default 1. */
  readonly concurrency?: number;
  /** The worker's name, stored on the jobs it takes; default `<hostname>:<pid>`. */
  readonly workerName?: string;
  /**
   * How long a job's lock lasts without renewal, in milliseconds (default {@link DEFAULT_LOCK_DURATION_MS}):
   * a worker that dies loses its jobs to other workers this long after its last renewal. The
   * worker renews every half of it on its event loop, which a model evaluation blocks: keep it
   * above twice the longest evaluation (one tile), or busy workers lose jobs they are computing.
   */
  readonly lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock expired, in milliseconds (default 30000). */
  readonly stalledIntervalMs?: number;
  /** How many times a job may be recovered from a dead worker before it fails, default 1. */
  readonly maxStalledCount?: number;
  /** How long to wait for Redis to answer the first time, in milliseconds (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Called for every {@link UpscaleWorkerEvent}. */
  readonly onEvent?: (event: UpscaleWorkerEvent) => void;
}

/** A running worker (see {@link createUpscaleWorker}). */
export interface UpscaleWorker {
  /** The worker's name, as stored on the jobs it takes. */
  readonly name: string;
  /** The BullMQ worker, for what this package does not wrap. */
  readonly bullmq: Worker<UpscaleJobData, UpscaleJobResult>;
  /** Jobs being computed now. */
  running(): number;
  /** Takes no new job and resolves once the running ones have finished and the connections are closed. */
  close(): Promise<void>;
  /**
   * Stops the running jobs (through their `signal`) and returns them to the queue, where
   * another worker takes them (without using up an attempt), then closes.
   */
  handBack(): Promise<void>;
}

/** The default of {@link UpscaleWorkerOptions.retryable}: retry anything but YONOS's own errors. */
export function isRetryableByDefault(error: unknown): boolean {
  return !(error instanceof YonosError);
}

function withStack<E extends Error>(error: E, cause: unknown): E {
  if (cause instanceof Error && cause.stack !== undefined) error.stack = cause.stack;
  return error;
}

/**
 * Starts a worker that takes upscale jobs from the queue and computes each with
 * `options.process`. A job whose data is not an upscale job, or whose error is not retryable,
 * fails at once; other errors are retried with the backoff the producer set. Failures are
 * stored as `<error class>: <message>` so that watchers rebuild the typed error. The worker
 * survives every job's failure, and Redis restarts (it reconnects).
 * @throws `QueueConnectionError` when Redis does not answer, or for a bad URL or queue name.
 */
export async function createUpscaleWorker(options: UpscaleWorkerOptions): Promise<UpscaleWorker> {
  const queueName = checkQueueName(options.queueName ?? DEFAULT_QUEUE_NAME);
  const connection = connectionOptions(options.redis);
  await checkRedis(options.redis, options.connectTimeoutMs);
  const emit = options.onEvent ?? (() => undefined);
  const retryable = options.retryable ?? isRetryableByDefault;
  const name = options.workerName ?? `${hostname()}:${process.pid}`;
  let active = 0;
  let handingBack = false;

  const processJob = async (job: Job<UpscaleJobData, UpscaleJobResult>, token?: string, signal?: AbortSignal): Promise<UpscaleJobResult> => {
    const jobId = job.id ?? '';
    let data: UpscaleJobData;
    try {
      data = parseUpscaleJobData(job.data);
    } catch (err) {
      const reason = failureReason(err);
      emit({ type: 'failed', jobId, job: undefined, reason, retrying: false });
      throw withStack(new UnrecoverableError(reason), err);
    }
    const attempt = job.attemptsMade + 1;
    // attemptsStarted counts this start too; more than the attempts that ended means an earlier run never finished.
    const restarted = job.attemptsStarted > attempt;
    active++;
    emit({ type: 'active', jobId, job: data, attempt, restarted });
    try {
      const result = await options.process(data, {
        jobId,
        attempt,
        restarted,
        signal: signal ?? new AbortController().signal,
        progress: (progress) => {
          job.updateProgress(progress).catch(() => undefined);
        },
      });
      emit({ type: 'completed', jobId, job: data, result });
      return result;
    } catch (err) {
      if (handingBack && signal?.aborted === true) {
        await job.moveToWait(token);
        emit({ type: 'handed-back', jobId, job: data });
        throw new WaitingError();
      }
      const reason = failureReason(err);
      const canRetry = retryable(err);
      emit({ type: 'failed', jobId, job: data, reason, retrying: canRetry && attempt < (job.opts.attempts ?? 1) });
      throw withStack(canRetry ? new Error(reason) : new UnrecoverableError(reason), err);
    } finally {
      active--;
    }
  };

  const worker = new Worker<UpscaleJobData, UpscaleJobResult>(queueName, processJob, {
    connection,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    name,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 1,
    // Started below, once connected: an autorun worker may take a job before it says 'ready'.
    autorun: false,
  });
  // Without a listener an 'error' event would throw and end the process; ioredis reconnects.
  worker.on('error', (err) => emit({ type: 'error', message: err.message }));
  await worker.waitUntilReady();
  emit({ type: 'ready' });
  worker.run().catch((err: unknown) => emit({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
  let closing: Promise<void> | undefined;
  return {
    name,
    bullmq: worker,
    running: () => active,
    close() {
      closing ??= worker.close();
      return closing;
    },
    handBack() {
      handingBack = true;
      worker.cancelAllJobs('handed back to the queue');
      closing ??= worker.close();
      return closing;
    },
  };
}
