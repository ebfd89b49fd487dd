import type { UpscaleWorker } from './worker.js';

/** The signals {@link stopOnSignals} handles. */
export type StopSignal = 'SIGTERM' | 'SIGINT';

/** The part of `process` {@link stopOnSignals} needs (an event emitter in tests). */
export interface StopSignalSource {
  /** Starts calling `listener` on `event`. */
  on(event: StopSignal, listener: () => void): unknown;
  /** Stops calling `listener` on `event`. */
  off(event: StopSignal, listener: () => void): unknown;
}

/** How a worker is being stopped: `finishing` its running jobs, or `handing-back` (stopping them and returning them to the queue). */
export type StopPhase = 'finishing' | 'handing-back';

/** What {@link stopOnSignals} returns. */
export interface SignalStop {
  /** Resolves once the worker has closed (after a signal, or a direct close). */
  readonly closed: Promise<void>;
  /** Stops listening to the signals. */
  dispose(): void;
}

/**
 * Graceful shutdown for a worker process: the first SIGTERM or SIGINT makes the worker take no
 * new job and finish the running ones (`worker.close()`); a second one stops them and hands
 * them back to the queue (`worker.handBack()`). A Kubernetes pod gets SIGTERM and, after its
 * grace period, SIGKILL: a job still running then is recovered by another worker once its lock
 * expires.
 * @param onSignal Told each phase with the number of jobs running (to tell the user).
 * @param source `process` unless a test passes an emitter.
 */
export function stopOnSignals(worker: UpscaleWorker, onSignal: (phase: StopPhase, running: number) => void = () => undefined, source: StopSignalSource = process): SignalStop {
  let signals = 0;
  let resolveClosed: () => void = () => undefined;
  let rejectClosed: (err: unknown) => void = () => undefined;
  const whenClosed = new Promise<void>((resolve, reject) => {
    resolveClosed = resolve;
    rejectClosed = reject;
  });
  const follow = (closing: Promise<void>): void => {
    closing.then(resolveClosed, rejectClosed);
  };
  const listener = (): void => {
    signals++;
    if (signals === 1) {
      onSignal('finishing', worker.running());
      follow(worker.close());
    } else if (signals === 2) {
      onSignal('handing-back', worker.running());
      follow(worker.handBack());
    }
  };
  source.on('SIGTERM', listener);
  source.on('SIGINT', listener);
  // A close that did not come from a signal ends the wait as well.
  worker.bullmq.once('closed', () => resolveClosed());
  return {
    closed: whenClosed,
    dispose() {
      source.off('SIGTERM', listener);
      source.off('SIGINT', listener);
    },
  };
}
