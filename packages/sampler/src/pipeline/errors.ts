import { YonosError } from '@yonos/core';

/**
 * The pipeline was given something it cannot use: an image of the wrong rank or channels,
 * latents of the wrong shape, components that do not fit together, or bad options. The
 * message says what to pass instead.
 */
export class PipelineInputError extends YonosError {}

/**
 * A run was cancelled through its `AbortSignal`. `cause` is the signal's `reason`. Every
 * tensor the run had made is freed before this is thrown.
 */
export class PipelineAbortedError extends YonosError {
  constructor(reason?: unknown) {
    super('the YonosPipeline run was aborted through its AbortSignal; start a new run to try again.', { cause: reason });
  }
}
