import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { MissingRngError, NnArgumentError } from './errors.js';
import { Module } from './module.js';

/**
 * `torch.nn.Dropout`: in training mode, zeroes each element with probability `p` and scales
 * the rest by `1 / (1 - p)`; in eval mode (or with `p = 0`) it is the identity. Masks come
 * from the generator {@link Module.train} hands it, so a seed reproduces them on every
 * backend. No parameters.
 */
export class Dropout extends Module {
  /** Probability of zeroing an element, in `[0, 1)`. */
  readonly p: number;
  #rng: Rng | null = null;

  /** @throws {@link NnArgumentError} unless `0 <= p < 1`. */
  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new NnArgumentError(`Dropout: p must be in [0, 1), got ${p}.`);
    this.p = p;
  }

  /**
   * @param x Any shape, float32.
   * @returns In eval mode or with `p = 0`, `x` itself (no copy); otherwise a new tensor.
   * @throws {@link MissingRngError} in training mode with `p > 0` and no generator.
   */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    const rng = this.#rng;
    if (rng === null) {
      throw new MissingRngError(
        `Dropout(p=${this.p}) is in training mode but has no generator: call model.train(rng) with a seeded Rng.`,
      );
    }
    return tf.tidy(() => {
      const keep = tf.cast(tf.greaterEqual(rng.uniform(x.shape), this.p), 'float32');
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.p)));
    });
  }

  protected override receiveRng(rng: Rng): void {
    this.#rng = rng;
  }
}
