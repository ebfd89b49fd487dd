import { YonosError } from '../errors.js';
import type { BackendName } from './types.js';

/**
 * A tfjs backend could not be loaded or initialized here. `reason` says why and what to
 * do (for example `npm install @tensorflow/tfjs-node`).
 */
export class BackendUnavailableError extends YonosError {
  /** The backend that was asked for. */
  readonly backend: string;
  /** Why it is unavailable, with the remedy. */
  readonly reason: string;

  constructor(backend: string, reason: string, options?: { cause?: unknown }) {
    super(`Backend '${backend}' is unavailable: ${reason}`, options);
    this.backend = backend;
    this.reason = reason;
  }
}

/** A backend name that YONOS does not know. */
export class UnknownBackendError extends YonosError {
  constructor(name: string, known: readonly BackendName[]) {
    super(`Unknown backend '${name}'. Use one of: ${known.join(', ')}.`);
  }
}

/**
 * tfjs-core's gradient functions could not be registered, so `tf.grads` would fail. Happens
 * when a Node app is bundled without the files of `@yonos/core/node` (reached through `@yonos/core/internal/node`); the message says what to do.
 */
export class GradientRegistrationError extends YonosError {}

/** A thread count that is not an integer from 1 to 256 (`--threads`, `YONOS_THREADS`, `wasmThreads`). */
export class ThreadCountError extends YonosError {
  /** Where the count came from. */
  readonly source: string;

  constructor(source: string, value: string) {
    super(`${source} must be a whole number of threads from 1 to 256, got '${value}'.`);
    this.source = source;
  }
}
