import * as tf from '@tensorflow/tfjs-core';
import { TrainingArgumentError } from '../errors.js';

/**
 * Default bound, in elements, of one flat chunk of the multi-tensor optimizer path (4 MiB of
 * float32). A fused update holds about eight chunk-sized temporaries at once, so the bound
 * keeps a step's extra memory near 32 MiB whatever the model size and every buffer far under
 * WebGPU's default storage-binding limit (128 MiB). On wasm, chunks of 2^18 to 2^20 elements
 * were equally fast and 2^24 a third slower (the dozen passes over a chunk stay in cache);
 * each chunk costs ~20 kernel calls.
 */
export const DEFAULT_CHUNK_ELEMENTS = 1 << 20;

/** How {@link AdamW} and {@link Ema} lay their state out in flat chunks. */
export interface FlatStorageOptions {
  /**
   * Most elements per flat chunk (default {@link DEFAULT_CHUNK_ELEMENTS}): variables are
   * packed end to end into chunks of at most this many elements (a larger variable gets a chunk
   * of its own), and each chunk is updated by one sequence of whole-chunk kernels. Results do
   * not depend on it; smaller chunks use less temporary memory and more kernel calls.
   */
  readonly chunkElements?: number;
}

/** The chunk bound of `options`, checked. */
export function chunkElementsOf(owner: string, options: FlatStorageOptions): number {
  const n = options.chunkElements ?? DEFAULT_CHUNK_ELEMENTS;
  if (!Number.isInteger(n) || n < 1) throw new TrainingArgumentError(`${owner}: chunkElements must be a positive integer, got ${n}.`);
  return n;
}

/**
 * Splits `items` (in order) into runs of at most `cap` elements in all; an item larger than
 * `cap` forms a run of its own. Runs keep the items' order.
 */
export function planChunks<T>(items: readonly T[], sizeOf: (item: T) => number, cap: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let filled = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && filled + size > cap) {
      chunks.push(current);
      current = [];
      filled = 0;
    }
    current.push(item);
    filled += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The tensors' elements end to end as one new 1-D tensor: one `Concat`, after a `Reshape`
 * (no copy) of each tensor that is not 1-D already.
 */
export function packFlat(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => tf.concat(tensors.map((t) => (t.rank === 1 ? t : tf.reshape(t, [-1])))) as tf.Tensor1D);
}

/** Cuts a 1-D tensor from {@link packFlat} back into new tensors of `shapes` (one `SplitV`, a `Reshape` per piece that is not 1-D). */
export function unpackFlat(flat: tf.Tensor1D, shapes: ReadonlyArray<readonly number[]>): tf.Tensor[] {
  return tf.tidy(() => {
    const sizes = shapes.map((s) => tf.util.sizeFromShape([...s]));
    const pieces = shapes.length === 1 ? [flat.clone()] : tf.split(flat, sizes);
    return pieces.map((piece, i) => (shapes[i]!.length === 1 ? piece : tf.reshape(piece, [...shapes[i]!])));
  });
}
