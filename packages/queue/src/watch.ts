import type { UpscaleBatch } from './enqueue.js';
import type { UpscaleJobFailedError } from './errors.js';
import type { UpscaleJobData, UpscaleJobProgress, UpscaleJobResult } from './job-data.js';
import { jobFailure, readUpscaleJob } from './job-record.js';
import type { UpscaleQueue } from './queue.js';

/** What every {@link UpscaleBatchEvent} carries. */
export interface UpscaleBatchEventBase {
  /** The job's position in its batch, from 0. */
  readonly index: number;
  /** The job's data. */
  readonly job: UpscaleJobData;
}

/** A worker took the job. A job handed back or recovered from a dead worker keeps its attempt count. */
export interface UpscaleBatchActiveEvent extends UpscaleBatchEventBase {
  /** Which event. */
  readonly type: 'active';
  /** The worker's name, as it stored it on the job. */
  readonly worker: string | undefined;
  /** This attempt's number, from 1. */
  readonly attempt: number;
}

/** The worker reported progress within the image. */
export interface UpscaleBatchProgressEvent extends UpscaleBatchEventBase {
  /** Which event. */
  readonly type: 'progress';
  /** Model evaluations done of the image's total, and the stage. */
  readonly progress: UpscaleJobProgress;
}

/** An attempt failed and the job will be retried after its backoff. */
export interface UpscaleBatchRetryingEvent extends UpscaleBatchEventBase {
  /** Which event. */
  readonly type: 'retrying';
  /** That attempt's error; `attempts` counts the failed attempts so far. */
  readonly error: UpscaleJobFailedError;
}

/** The job's worker stopped renewing its lock (it crashed or was killed): the job went back to the queue. */
export interface UpscaleBatchStalledEvent extends UpscaleBatchEventBase {
  /** Which event. */
  readonly type: 'stalled';
}

/** The job's output is written. */
export interface UpscaleBatchCompletedEvent extends UpscaleBatchEventBase {
  /** Which event. */
  readonly type: 'completed';
  /** What the worker wrote. */
  readonly result: UpscaleJobResult;
}

/** The job failed for good. */
export interface UpscaleBatchFailedEvent extends UpscaleBatchEventBase {
  /** Which event. */
  readonly type: 'failed';
  /** The last attempt's error, with the class name of the error the processor threw. */
  readonly error: UpscaleJobFailedError;
}

/** The job left the queue unfinished (cancelled). */
export interface UpscaleBatchCancelledEvent extends UpscaleBatchEventBase {
  /** Which event. */
  readonly type: 'cancelled';
}

/** What happened to a job of a watched batch (see {@link watchUpscaleBatch}); `type` tells which. */
export type UpscaleBatchEvent =
  | UpscaleBatchActiveEvent
  | UpscaleBatchProgressEvent
  | UpscaleBatchRetryingEvent
  | UpscaleBatchStalledEvent
  | UpscaleBatchCompletedEvent
  | UpscaleBatchFailedEvent
  | UpscaleBatchCancelledEvent;

/** Options of {@link watchUpscaleBatch}. */
export interface WatchUpscaleBatchOptions {
  /** Called for every event, in the order seen. */
  readonly onEvent?: (event: UpscaleBatchEvent) => void;
  /** Aborting stops watching (the jobs go on in the queue); the outcome then lists them as unfinished. */
  readonly signal?: AbortSignal;
  /**
   * How often every unfinished job's state is read from Redis, in milliseconds (default 2000):
   * events are the fast path, this catches what events miss (a reconnect, a job finished
   * before the watch began).
   */
  readonly pollMs?: number;
}

/** A job of a batch. */
export interface UpscaleBatchEntry {
  /** The job's position in its batch, from 0. */
  readonly index: number;
  /** The job's data. */
  readonly job: UpscaleJobData;
}

/** A job of a batch that completed. */
export interface UpscaleBatchCompletedEntry extends UpscaleBatchEntry {
  /** What the worker wrote. */
  readonly result: UpscaleJobResult;
}

/** A job of a batch that failed for good. */
export interface UpscaleBatchFailedEntry extends UpscaleBatchEntry {
  /** The last attempt's error. */
  readonly error: UpscaleJobFailedError;
}

/** How a watched batch ended; every list is in batch order. */
export interface UpscaleBatchOutcome {
  /** The jobs whose output is written. */
  readonly completed: readonly UpscaleBatchCompletedEntry[];
  /** The jobs that failed for good. */
  readonly failed: readonly UpscaleBatchFailedEntry[];
  /** The jobs that left the queue unfinished (cancelled). */
  readonly cancelled: readonly UpscaleBatchEntry[];
  /** Jobs not finished when the watch was stopped through its signal. */
  readonly unfinished: readonly UpscaleBatchEntry[];
}

interface Seen {
  started: number;
  attemptsMade: number;
  stalled: number;
}

const EVENTS = ['active', 'completed', 'failed', 'stalled', 'delayed', 'waiting', 'removed'] as const;

function isProgress(value: unknown): value is UpscaleJobProgress {
  const p = value as Partial<UpscaleJobProgress> | null;
  return typeof p === 'object' && p !== null && typeof p.completed === 'number' && typeof p.total === 'number' && typeof p.stage === 'string';
}

/**
 * Follows a batch until every job has completed, failed for good or been cancelled, reporting
 * each step through `onEvent`. It listens to the queue's BullMQ events and, as a fallback,
 * reads every unfinished job's state every `pollMs`, so it misses nothing across a Redis restart.
 * @returns The jobs by how they ended.
 */
export async function watchUpscaleBatch(queue: UpscaleQueue, batch: UpscaleBatch, options: WatchUpscaleBatchOptions = {}): Promise<UpscaleBatchOutcome> {
  const emit = options.onEvent ?? (() => undefined);
  const pollMs = options.pollMs ?? 2000;
  const indexOf = new Map(batch.jobIds.map((id, index) => [id, index]));
  const pending = new Set(batch.jobIds.keys());
  const seen: Seen[] = batch.jobIds.map(() => ({ started: 0, attemptsMade: 0, stalled: 0 }));
  const chains: Promise<void>[] = batch.jobIds.map(() => Promise.resolve());
  const queued = new Set<number>();
  const completed: UpscaleBatchCompletedEntry[] = [];
  const failed: UpscaleBatchFailedEntry[] = [];
  const cancelled: UpscaleBatchEntry[] = [];
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const settle = (index: number): void => {
    pending.delete(index);
    if (pending.size === 0) finish();
  };

  const reconcile = async (index: number): Promise<void> => {
    if (!pending.has(index)) return;
    const job = batch.jobs[index]!;
    const record = await readUpscaleJob(queue, batch.jobIds[index]!);
    if (!pending.has(index)) return;
    const s = seen[index]!;
    if (record.state === 'missing' || record.job === undefined) {
      cancelled.push({ index, job });
      emit({ type: 'cancelled', index, job });
      return settle(index);
    }
    const bull = record.job;
    // Checked before the end states too: a job recovered from a dead worker may be finished by
    // the time its events are looked at.
    if (bull.stalledCounter > s.stalled) {
      s.stalled = bull.stalledCounter;
      emit({ type: 'stalled', index, job });
    }
    if (record.state === 'completed') {
      completed.push({ index, job, result: bull.returnvalue });
      emit({ type: 'completed', index, job, result: bull.returnvalue });
      return settle(index);
    }
    if (record.state === 'failed') {
      const error = jobFailure(bull);
      failed.push({ index, job, error });
      emit({ type: 'failed', index, job, error });
      return settle(index);
    }
    if (bull.attemptsMade > s.attemptsMade) {
      s.attemptsMade = bull.attemptsMade;
      emit({ type: 'retrying', index, job, error: jobFailure(bull) });
    }
    if (record.state === 'active' && bull.attemptsStarted > s.started) {
      s.started = bull.attemptsStarted;
      emit({ type: 'active', index, job, worker: bull.processedBy, attempt: bull.attemptsMade + 1 });
    }
  };
  // One reconcile at a time per job, and at most one waiting, so events and polls never race.
  const check = (index: number): void => {
    if (!pending.has(index) || queued.has(index)) return;
    queued.add(index);
    chains[index] = chains[index]!.then(() => {
      queued.delete(index);
      return reconcile(index);
    }).catch(() => undefined);
  };
  const checkAll = async (): Promise<void> => {
    const indices = [...pending];
    for (let i = 0; i < indices.length; i += 64) {
      for (const index of indices.slice(i, i + 64)) check(index);
      await Promise.all(indices.slice(i, i + 64).map((index) => chains[index]));
    }
  };

  const events = await queue.events();
  const onJobEvent = ({ jobId }: { jobId: string }): void => {
    const index = indexOf.get(jobId);
    if (index !== undefined) check(index);
  };
  const onProgress = ({ jobId, data }: { jobId: string; data: unknown }): void => {
    const index = indexOf.get(jobId);
    if (index !== undefined && pending.has(index) && isProgress(data)) emit({ type: 'progress', index, job: batch.jobs[index]!, progress: data });
  };
  for (const name of EVENTS) events.on(name, onJobEvent);
  events.on('progress', onProgress);
  const onAbort = (): void => finish();
  options.signal?.addEventListener('abort', onAbort);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = (): void => {
    timer = setTimeout(() => {
      void checkAll().finally(() => {
        if (pending.size > 0 && options.signal?.aborted !== true) poll();
      });
    }, pollMs);
  };
  try {
    if (pending.size === 0 || options.signal?.aborted === true) finish();
    else {
      await checkAll();
      if (pending.size > 0) poll();
    }
    await done;
  } finally {
    clearTimeout(timer);
    for (const name of EVENTS) events.off(name, onJobEvent);
    events.off('progress', onProgress);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const byIndex = <T extends { index: number }>(list: T[]): T[] => list.sort((a, b) => a.index - b.index);
  return {
    completed: byIndex(completed),
    failed: byIndex(failed),
    cancelled: byIndex(cancelled),
    unfinished: [...pending].sort((a, b) => a - b).map((index) => ({ index, job: batch.jobs[index]! })),
  };
}
