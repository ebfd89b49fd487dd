import type * as tf from '@tensorflow/tfjs-core';

/** Serializable position of a generator: enough to resume the exact same stream. */
export interface RngState {
  /** The seed the stream was created from, as a decimal string (64-bit safe). */
  readonly seed: string;
  /** How many 128-bit blocks have been consumed, as a decimal string. */
  readonly counter: string;
}

/**
 * A seeded, counter-based random generator. The same seed yields the same numbers on
 * every tfjs backend, because values are generated on the host and uploaded.
 */
export interface Rng {
  /** Float32 tensor of the given shape, uniform in `[min, max)` (default `[0, 1)`). */
  uniform(shape: readonly number[], min?: number, max?: number): tf.Tensor;
  /** Float32 tensor of the given shape, normal with the given mean and standard deviation (default 0, 1). */
  normal(shape: readonly number[], mean?: number, std?: number): tf.Tensor;
  /** One host-side float uniform in `[0, 1)`. */
  nextFloat(): number;
  /** One host-side integer uniform in `[min, max]` (both inclusive). */
  nextInt(min: number, max: number): number;
  /** An independent generator derived from this one's seed and `key`; does not advance this one. */
  fork(key: string | number): Rng;
  /** The current position, to save with a checkpoint. */
  getState(): RngState;
  /** Jump to a position previously returned by {@link Rng.getState}. */
  setState(state: RngState): void;
}
