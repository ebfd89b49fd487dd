import * as tf from '@tensorflow/tfjs-core';
import type { LatentCodec, Rng } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';
import { encodeLatent, toSigned, unscaleLatent } from './conditioning.js';

/** Options of {@link decoderChannelWeights}. */
export interface DecoderChannelWeightsOptions {
  /** Standard deviation of the probe noise, in diffusion-scaled latent units (default 0.1: small enough to stay in the decoder's linear regime). */
  readonly probe?: number;
}

/**
 * Per-channel loss weights that make the latent MSE track the pixel MSE: for each latent
 * channel `c`, white noise of std `probe` is added to channel `c` alone of the (scaled)
 * latents of `hr`, and the weight is the mean squared change of the decoded image, divided
 * by the mean over channels (so the weights average 1).
 *
 * Why: a plain MSE over latent channels treats them as equally important, but the decoder
 * need not. An autoencoder started from block means (`AutoencoderTiny`'s pooling
 * initialization) keeps the colour means in a few channels whose decoder gain is ~20x that of
 * the detail channels, so an unweighted loss spends the network on channels the image barely
 * shows. This is the decoder linearized around the data, one number per channel.
 * @param hr NHWC `[N, H, W, 3]`, float32 in `[0, 1]`: a fixed batch of training crops.
 * @param rng Source of the probe noise (fork a fixed name so a resumed run measures the same weights).
 * @returns `latentChannels` non-negative numbers with mean 1.
 * @throws {@link TrainingArgumentError} for a bad `probe` or a codec whose output does not change at all.
 */
export function decoderChannelWeights(codec: LatentCodec, hr: tf.Tensor4D, rng: Rng, options: DecoderChannelWeightsOptions = {}): number[] {
  const probe = options.probe ?? 0.1;
  if (!(probe > 0) || !Number.isFinite(probe)) throw new TrainingArgumentError(`decoderChannelWeights: probe must be a positive number, got ${probe}.`);
  const channels = codec.latentChannels;
  const gains = tf.tidy(() => {
    const z = encodeLatent(codec, toSigned(hr), 'mean', rng);
    const base = codec.decode(unscaleLatent(codec, z));
    const perChannel: tf.Scalar[] = [];
    for (let c = 0; c < channels; c++) {
      const mask = tf.reshape(tf.oneHot(tf.tensor1d([c], 'int32'), channels), [1, 1, 1, channels]);
      const noise = tf.mul(rng.fork(`probe:${c}`).normal(z.shape), probe);
      const decoded = codec.decode(unscaleLatent(codec, tf.add(z, tf.mul(noise, mask)) as tf.Tensor4D));
      perChannel.push(tf.mean(tf.square(tf.sub(decoded, base))) as tf.Scalar);
    }
    return tf.stack(perChannel);
  });
  const values = Array.from(gains.dataSync());
  gains.dispose();
  const mean = values.reduce((a, b) => a + b, 0) / channels;
  if (!(mean > 0) || !Number.isFinite(mean)) throw new TrainingArgumentError('decoderChannelWeights: the decoded image does not respond to the latent (or is not finite); cannot weight channels.');
  return values.map((v) => v / mean);
}

/**
 * Checks per-channel loss weights against a codec: one finite, non-negative number per latent
 * channel, not all zero.
 * @throws {@link TrainingArgumentError} otherwise.
 */
export function checkChannelWeights(weights: readonly number[], latentChannels: number): void {
  if (weights.length !== latentChannels) {
    throw new TrainingArgumentError(`Channel weights: got ${weights.length} weights for a codec with ${latentChannels} latent channels; give one per channel.`);
  }
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new TrainingArgumentError(`Channel weights must be finite and >= 0, got [${weights.join(', ')}].`);
  if (weights.every((w) => w === 0)) throw new TrainingArgumentError('Channel weights are all zero: the loss would be zero.');
}
