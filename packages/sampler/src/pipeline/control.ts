import type { ProgressCallback, ProgressEvent } from '@yonos/core';
import { PipelineAbortedError } from './errors.js';
import type { TileLoopHooks } from './tile-blend.js';

/** Throws {@link PipelineAbortedError} if `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PipelineAbortedError(signal.reason);
}

type Immediate = (callback: () => void) => unknown;

/**
 * Lets other tasks run (an abort button, rendering, I/O) between units of work: a macrotask,
 * through `setImmediate` where it exists (Node) since browsers clamp nested `setTimeout`s.
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
  return new Promise((resolve) => (immediate !== undefined ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** The work between two reports: yield, then stop if aborted. */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await yieldToEventLoop();
  throwIfAborted(signal);
}

/** Reports to an optional callback; a throwing callback is a caller bug and is not swallowed. */
export function report(onProgress: ProgressCallback | undefined, event: ProgressEvent): void {
  onProgress?.(event);
}

/** The hooks of a tiled stage of a run: yield and stop if aborted before each tile, report `stage` after it. */
export function tileHooks(stage: string, onProgress: ProgressCallback | undefined, signal: AbortSignal | undefined): TileLoopHooks {
  return {
    beforeTile: () => checkpoint(signal),
    afterTile: (r, total) => report(onProgress, { stage, completed: r.index + 1, total }),
  };
}
