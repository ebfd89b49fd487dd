import type * as tf from '@tensorflow/tfjs-core';
import type { Rng, RngState } from '@yonos/core';

// Not a key callers of `fork` would choose, so tensor streams never coincide with theirs.
const TENSOR_TAG = '\u0000shape-stable-tensor';

/**
 * An {@link Rng} whose host-side draws (`nextFloat`, `nextInt`) do not depend on the
 * shapes of the tensors drawn before them.
 *
 * A counter-based generator advances by as many values as a tensor holds, so running the
 * same random pipeline at two output sizes makes every draw after the first
 * size-dependent tensor diverge. Here each `uniform` / `normal` call instead takes one
 * 64-bit key from the host stream and draws the tensor from a fork keyed by it: the host
 * stream advances by the same amount whatever the shape. Two wrappers over identical
 * generators, driven through the same sequence of calls, therefore make the same host
 * draws (kernels, probabilities, JPEG qualities, noise levels), and their `k`-th tensors
 * come from the same stream (equal when the shapes are equal; for different shapes, the
 * smaller is a prefix of the larger in row-major order).
 *
 * The whole position is the wrapped generator's, so {@link ShapeStableRng.getState} /
 * {@link ShapeStableRng.setState} resume exactly. The numbers differ from the wrapped
 * generator's own stream: this is a different (equally seeded) stream, not a view of it.
 */
export class ShapeStableRng implements Rng {
  readonly #source: Rng;

  /** @param source The generator to draw from; it is advanced by this wrapper's draws. */
  constructor(source: Rng) {
    this.#source = source;
  }

  /** Float32 tensor of `shape`, uniform in `[min, max)`; advances the host stream by one key whatever the shape. */
  uniform(shape: readonly number[], min?: number, max?: number): tf.Tensor {
    return this.#tensorStream().uniform(shape, min, max);
  }

  /** Float32 tensor of `shape`, normal with `mean` and `std`; advances the host stream by one key whatever the shape. */
  normal(shape: readonly number[], mean?: number, std?: number): tf.Tensor {
    return this.#tensorStream().normal(shape, mean, std);
  }

  /** One host-side float uniform in `[0, 1)`, from the wrapped generator. */
  nextFloat(): number {
    return this.#source.nextFloat();
  }

  /** One host-side integer uniform in `[min, max]`, from the wrapped generator. */
  nextInt(min: number, max: number): number {
    return this.#source.nextInt(min, max);
  }

  /** A shape-stable wrapper over the wrapped generator's fork for `key`; does not advance this one. */
  fork(key: string | number): ShapeStableRng {
    return new ShapeStableRng(this.#source.fork(key));
  }

  /** The wrapped generator's position (it is this wrapper's whole state). */
  getState(): RngState {
    return this.#source.getState();
  }

  /** Moves the wrapped generator to `state`. */
  setState(state: RngState): void {
    this.#source.setState(state);
  }

  #tensorStream(): Rng {
    const hi = this.#source.nextInt(0, 0xffffffff);
    const lo = this.#source.nextInt(0, 0xffffffff);
    return this.#source.fork(`${TENSOR_TAG}:${hi}:${lo}`);
  }
}
