import * as tf from '@tensorflow/tfjs-core';

/** What {@link trackPeakBytes} and {@link trackPeakBytesAsync} measured of one call. */
export interface PeakBytes<T> {
  /** What the function returned (still alive: the caller disposes it). */
  readonly result: T;
  /**
   * The most `tf.memory().numBytes` rose above its value at the call while the function ran,
   * in bytes: the peak tensor memory of the call, its result included.
   */
  readonly peak: number;
  /** `tf.memory().numBytes` when the function returned, minus its value at the call. */
  readonly held: number;
}

interface TrackingEngine {
  state: { numBytes: number };
  trackTensor: (...args: unknown[]) => void;
}

/** Active trackers, each fed the engine's byte count after every tensor allocation. */
const listeners = new Set<(numBytes: number) => void>();
let untracked: TrackingEngine['trackTensor'] | undefined;

// tfjs has no allocation hook, so the engine's `trackTensor` (called once per new tensor) is
// wrapped while at least one tracker runs; one shared wrapper lets trackers overlap in any order.
function listen(listener: (numBytes: number) => void): () => void {
  const engine = tf.engine() as unknown as TrackingEngine;
  if (listeners.size === 0) {
    const original = engine.trackTensor;
    untracked = original;
    engine.trackTensor = function (this: TrackingEngine, ...args: unknown[]) {
      original.apply(this, args);
      for (const l of listeners) l(this.state.numBytes);
    };
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && untracked !== undefined) {
      engine.trackTensor = untracked;
      untracked = undefined;
    }
  };
}

function startTracking(): { stop: () => { peak: number; held: number } } {
  const engine = tf.engine() as unknown as TrackingEngine;
  const start = engine.state.numBytes;
  let peak = 0;
  const unlisten = listen((numBytes) => {
    peak = Math.max(peak, numBytes - start);
  });
  let measured: { peak: number; held: number } | undefined;
  return {
    // Idempotent, so `finally` can stop a tracker that a successful return already stopped.
    stop: () => {
      if (measured === undefined) {
        unlisten();
        const held = engine.state.numBytes - start;
        measured = { peak: Math.max(peak, held), held };
      }
      return measured;
    },
  };
}

/**
 * Measures the peak tensor memory of a synchronous call: how far `tf.memory().numBytes` rose
 * above its value at the call (what a memory estimate such as `UNet2DConditionModel.estimateMemory`
 * predicts, and what pipelines size their tiles against). Counts tensor bytes of the active
 * backend only, not what a backend keeps outside tensors.
 *
 * @example
 * ```ts
 * const { result, peak } = trackPeakBytes(() => unet.forward(sample, 999));
 * result.dispose();
 * ```
 */
export function trackPeakBytes<T>(fn: () => T): PeakBytes<T> {
  const tracking = startTracking();
  try {
    const result = fn();
    return { result, ...tracking.stop() };
  } finally {
    tracking.stop();
  }
}

/**
 * {@link trackPeakBytes} for an asynchronous call (a pipeline run). Everything that allocates
 * tensors meanwhile counts, so measure with nothing else running on the engine.
 */
export async function trackPeakBytesAsync<T>(fn: () => Promise<T>): Promise<PeakBytes<T>> {
  const tracking = startTracking();
  try {
    const result = await fn();
    return { result, ...tracking.stop() };
  } finally {
    tracking.stop();
  }
}
