import * as tf from '@tensorflow/tfjs-core';
import { LOGVAR_MIN } from '@yonos/core/nn';
import type { LatentPosterior, Rng } from '@yonos/core';
import { VaeInputError } from './errors.js';

/**
 * The posterior of a deterministic encoder (`AutoencoderTiny`): a point mass at the latents.
 * `mean`, `mode()` and `sample()` are the latents, `logvar` is the contract's floor (-30, the
 * clamp minimum standing in for zero variance) and `kl()` is zero, so the KL term of VAE
 * training vanishes. Owns its tensors: call {@link DeterministicPosterior.dispose}.
 */
export class DeterministicPosterior implements LatentPosterior {
  /** NHWC `[N, h, w, C]`, float32: the latents (unscaled). */
  readonly mean: tf.Tensor4D;
  /** NHWC `[N, h, w, C]`, float32: all -30. */
  readonly logvar: tf.Tensor4D;

  /**
   * @param latents NHWC `[N, h, w, C]`, float32; taken over (disposed with the posterior).
   * @throws VaeInputError unless `latents` is rank 4.
   */
  constructor(latents: tf.Tensor4D) {
    if (latents.rank !== 4) {
      throw new VaeInputError(`DeterministicPosterior expects NHWC latents [N, h, w, C], got shape [${latents.shape.join(', ')}].`);
    }
    this.mean = latents;
    this.logvar = tf.fill(latents.shape, LOGVAR_MIN) as tf.Tensor4D;
  }

  /**
   * The latents themselves (a deterministic encoder has nothing to draw); `rng` is not advanced.
   * Differentiable with respect to the encoder, so it can sit inside a training loss.
   * @returns A new NHWC `[N, h, w, C]` tensor equal to {@link DeterministicPosterior.mean}.
   */
  sample(_rng: Rng): tf.Tensor4D {
    return tf.clone(this.mean);
  }

  /** A copy of {@link DeterministicPosterior.mean}, NHWC `[N, h, w, C]`. */
  mode(): tf.Tensor4D {
    return tf.clone(this.mean);
  }

  /** Zero KL for every batch item: `[N]`, float32 (there is no distribution to regularize). */
  kl(): tf.Tensor1D {
    return tf.zeros([this.mean.shape[0]]);
  }

  /** Frees `mean` and `logvar` (idempotent). */
  dispose(): void {
    tf.dispose([this.mean, this.logvar]);
  }
}
