import * as tf from '@tensorflow/tfjs-core';
import type { LatentPosterior } from '../contracts/latent-codec.js';
import type { Rng } from '../random/rng.js';
import { NnArgumentError } from './errors.js';

/** diffusers clamps the log-variance to this range so `exp` neither underflows nor overflows. */
export const LOGVAR_MIN = -30;
/** Upper clamp of the log-variance. */
export const LOGVAR_MAX = 20;

/**
 * diffusers' `DiagonalGaussianDistribution`, the {@link LatentPosterior} a VAE's encoder
 * outputs: a mean and a log-variance clamped to `[-30, 20]`. Owns both tensors: call
 * {@link DiagonalGaussianDistribution.dispose}. Every method returns a new tensor the caller
 * owns, and is differentiable, so it can sit inside a training loss.
 */
export class DiagonalGaussianDistribution implements LatentPosterior {
  /** NHWC `[N, h, w, C]`, float32: the mean of the latent (unscaled). */
  readonly mean: tf.Tensor4D;
  /** NHWC `[N, h, w, C]`, float32: log-variance in `[-30, 20]`. */
  readonly logvar: tf.Tensor4D;

  /**
   * @param mean NHWC `[N, h, w, C]`, float32; taken over (disposed with the distribution).
   * @param logvar The log-variance, of `mean`'s shape; taken over and replaced by its clamped copy.
   * @throws {@link NnArgumentError} unless both are rank 4 of one shape (nothing is taken over then).
   */
  constructor(mean: tf.Tensor4D, logvar: tf.Tensor4D) {
    if (logvar === undefined) {
      throw new NnArgumentError(
        'DiagonalGaussianDistribution takes (mean, logvar); build one from encoder moments with DiagonalGaussianDistribution.fromMoments(moments).',
      );
    }
    if (mean.rank !== 4 || mean.shape.join() !== logvar.shape.join()) {
      throw new NnArgumentError(
        `DiagonalGaussianDistribution needs a mean and a log-variance of one NHWC shape [N, h, w, C], got [${mean.shape.join(', ')}] and [${logvar.shape.join(', ')}].`,
      );
    }
    this.mean = mean;
    this.logvar = tf.clipByValue(logvar, LOGVAR_MIN, LOGVAR_MAX);
    logvar.dispose();
  }

  /**
   * The distribution of an encoder's moments, as diffusers builds it from `parameters`.
   * @param moments NHWC `[N, h, w, 2C]`, float32: means in channels `[0, C)`, log-variances in
   *   `[C, 2C)` (the layout of diffusers' `torch.chunk(moments, 2, dim=1)`). Not taken over:
   *   the caller still disposes it.
   * @throws {@link NnArgumentError} unless `moments` is rank 4 with an even channel count.
   */
  static fromMoments(moments: tf.Tensor4D): DiagonalGaussianDistribution {
    const channels = moments.shape[3];
    if (moments.rank !== 4 || channels === undefined || channels % 2 !== 0) {
      throw new NnArgumentError(
        `DiagonalGaussianDistribution expects NHWC moments [N, h, w, 2C] (means then log-variances), got shape [${moments.shape.join(', ')}].`,
      );
    }
    const [mean, logvar] = tf.split(moments, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return new DiagonalGaussianDistribution(mean, logvar);
  }

  /**
   * A draw `mean + exp(logvar / 2) * noise`, the standard-normal noise from `rng` (so a seed
   * reproduces it on every backend); advances `rng`.
   * @returns NHWC `[N, h, w, C]`, float32.
   */
  sample(rng: Rng): tf.Tensor4D {
    return tf.tidy(() => {
      const noise = rng.normal(this.mean.shape);
      return tf.add(this.mean, tf.mul(tf.exp(tf.mul(this.logvar, 0.5)), noise));
    });
  }

  /** The mode, equal to the mean: a copy of {@link DiagonalGaussianDistribution.mean}, NHWC `[N, h, w, C]`. */
  mode(): tf.Tensor4D {
    return tf.clone(this.mean);
  }

  /**
   * KL divergence to the standard normal, `0.5 * sum(mean^2 + exp(logvar) - 1 - logvar)` over
   * h, w and C.
   * @returns `[N]`, float32.
   */
  kl(): tf.Tensor1D {
    return tf.tidy(() => {
      const terms = tf.sub(tf.add(tf.square(this.mean), tf.exp(this.logvar)), tf.add(this.logvar, 1));
      return tf.mul(tf.sum(terms, [1, 2, 3]), 0.5) as tf.Tensor1D;
    });
  }

  /**
   * Negative log-likelihood of `sample` under this distribution,
   * `0.5 * sum(log(2 pi) + logvar + (sample - mean)^2 / exp(logvar))` over h, w and C.
   * @param sample NHWC `[N, h, w, C]`, float32.
   * @returns `[N]`, float32.
   * @throws {@link NnArgumentError} if `sample`'s shape differs from the mean's.
   */
  nll(sample: tf.Tensor4D): tf.Tensor1D {
    if (sample.shape.join() !== this.mean.shape.join()) {
      throw new NnArgumentError(
        `nll expects a sample of the posterior's shape [${this.mean.shape.join(', ')}], got [${sample.shape.join(', ')}].`,
      );
    }
    return tf.tidy(() => {
      const sq = tf.div(tf.square(tf.sub(sample, this.mean)), tf.exp(this.logvar));
      const terms = tf.add(tf.add(this.logvar, Math.log(2 * Math.PI)), sq);
      return tf.mul(tf.sum(terms, [1, 2, 3]), 0.5) as tf.Tensor1D;
    });
  }

  /** Frees `mean` and `logvar` (idempotent). */
  dispose(): void {
    tf.dispose([this.mean, this.logvar]);
  }
}
