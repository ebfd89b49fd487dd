import { YonosError } from '@yonos/core';

/** Base class of the errors `@yonos/queue` throws; the message says what to do. */
export class QueueError extends YonosError {}

/**
 * Redis cannot be used: the address is not a `redis://` or `rediss://` URL, or no server
 * answers there in time. The message names the address (without its password) and the cause.
 */
export class QueueConnectionError extends QueueError {}

/**
 * A job's data is not an upscale job: a field is missing or out of range. Raised by
 * {@link parseUpscaleJobData}; a worker fails such a job at once, without retries, and goes on.
 */
export class UpscaleJobDataError extends QueueError {}

/** A batch id that {@link enqueueUpscale} did not make, or a batch none of whose jobs is left in the queue. */
export class UnknownBatchError extends QueueError {}

/** What {@link UpscaleJobFailedError} is made from. */
export interface UpscaleJobFailure {
  /** The job's id in the queue. */
  readonly jobId: string;
  /** The job's input path or URL. */
  readonly input: string;
  /** The class name of the error the processor threw (`ImageDecodeError`, `OutputWriteError`...), `Error` when it is not known. */
  readonly errorName: string;
  /** The error's message. */
  readonly reason: string;
  /** Attempts that failed (1 when the error was not worth retrying). */
  readonly attempts: number;
}

/**
 * An upscale job failed for good: its last attempt threw and no retry is left (or the error is
 * one a retry cannot fix, such as an undecodable image). The failure is kept in the queue, so
 * {@link upscaleBatchStatus} and {@link watchUpscaleBatch} rebuild this error with the class
 * name of the error the worker's processor threw.
 */
export class UpscaleJobFailedError extends QueueError {
  /** The job's id in the queue. */
  readonly jobId: string;
  /** The job's input path or URL. */
  readonly input: string;
  /** The class name of the processor's error (`ImageDecodeError`...). */
  readonly errorName: string;
  /** The processor's error message. */
  readonly reason: string;
  /** Attempts that failed. */
  readonly attempts: number;

  /** @param failure What failed, and why. */
  constructor(failure: UpscaleJobFailure) {
    super(`${failure.errorName}: ${failure.reason}`);
    this.jobId = failure.jobId;
    this.input = failure.input;
    this.errorName = failure.errorName;
    this.reason = failure.reason;
    this.attempts = failure.attempts;
  }
}
