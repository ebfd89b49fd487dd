import * as tf from '@tensorflow/tfjs-core';
import type { LatentPosterior, Rng } from '@yonos/core';
import { PipelineInputError } from './errors.js';

/**
 * A diagonal Gaussian over latents built from a mean and a log-variance that were computed
 * elsewhere (for example blended from tiles by {@link TiledLatentCodec}). Takes ownership
 * of both tensors: {@link GaussianPosterior.dispose} frees them.
 */
export class GaussianPosterior implements LatentPosterior {
  /** NHWC `[N, h, w, C]`, float32. */
  readonly mean: tf.Tensor4D;
  /** NHWC `[N, h, w, C]`, float32, in `[-30, 20]` (clamped here, as diffusers does). */
  readonly logvar: tf.Tensor4D;

  /**
   * @param mean NHWC `[N, h, w, C]`, float32; owned from now on.
   * @param logvar Same shape; owned from now on (replaced by its clamped copy).
   * @throws PipelineInputError if the shapes differ.
   */
  constructor(mean: tf.Tensor4D, logvar: tf.Tensor4D) {
    if (mean.rank !== 4 || mean.shape.join() !== logvar.shape.join()) {
      throw new PipelineInputError(
        `GaussianPosterior needs a mean and logvar of one NHWC shape; got [${mean.shape.join(', ')}] and [${logvar.shape.join(', ')}].`,
      );
    }
    this.mean = mean;
    this.logvar = tf.clipByValue(logvar, -30, 20);
    logvar.dispose();
  }

  /** `mean + exp(logvar / 2) * noise`, the noise from `rng`. NHWC `[N, h, w, C]`; caller owns it. */
  sample(rng: Rng): tf.Tensor4D {
    return tf.tidy(() => tf.add(this.mean, tf.mul(tf.exp(tf.mul(this.logvar, 0.5)), rng.normal(this.mean.shape))));
  }

  /** A copy of the mean, NHWC `[N, h, w, C]`; caller owns it. */
  mode(): tf.Tensor4D {
    return tf.clone(this.mean);
  }

  /** `0.5 * sum(mean^2 + exp(logvar) - 1 - logvar)` over h, w, C: `[N]`; caller owns it. */
  kl(): tf.Tensor1D {
    return tf.tidy(() => {
      const terms = tf.sub(tf.add(tf.square(this.mean), tf.exp(this.logvar)), tf.add(this.logvar, 1));
      return tf.mul(tf.sum(terms, [1, 2, 3]), 0.5) as tf.Tensor1D;
    });
  }

  /** Frees `mean` and `logvar` (idempotent). */
  dispose(): void {
    tf.dispose([this.mean, this.logvar]);
  }
}
