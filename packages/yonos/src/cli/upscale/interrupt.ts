import { YonosError } from '@yonos/core';

/** A batch was stopped with Ctrl-C; the message says what was done and how to finish. */
export class UpscaleInterruptedError extends YonosError {}

/** The part of `process` {@link watchInterrupt} needs (an event emitter in tests). */
export interface SignalSource {
  once(event: 'SIGINT', listener: () => void): unknown;
  removeListener(event: 'SIGINT', listener: () => void): unknown;
}

/** Ctrl-C handling of a batch command. */
export interface Interrupt {
  /** Aborted on the first SIGINT. */
  readonly signal: AbortSignal;
  /** Stops listening; call once the batch is over. */
  dispose(): void;
}

/**
 * Turns the first SIGINT (Ctrl-C) into an aborted `AbortSignal`, so the command stops the
 * current image cleanly (tensors freed, no partial file) and reports. The listener is then
 * removed, so a second Ctrl-C ends the process the usual way.
 * @param onInterrupt Called once, on the first SIGINT (to tell the user it is stopping).
 * @param source `process` unless a test passes an emitter.
 */
export function watchInterrupt(onInterrupt: () => void, source: SignalSource = process): Interrupt {
  const controller = new AbortController();
  const listener = (): void => {
    controller.abort(new Error('interrupted (SIGINT)'));
    onInterrupt();
  };
  source.once('SIGINT', listener);
  return { signal: controller.signal, dispose: () => source.removeListener('SIGINT', listener) };
}
