import * as tf from '@tensorflow/tfjs-core';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkWeight } from './checks.js';
import { toSigned } from './conditioning.js';
import { freezeAllBut } from './decoder-stage.js';
import type { HrBatchSource, ReconstructionLossHook, TrainableCodec } from './types.js';
import type { Stage } from './stage.js';

/** Options of {@link createVaeStage}. */
export interface VaeStageOptions {
  /** The codec trained from scratch (or further), e.g. a small `AutoencoderKL`. */
  readonly codec: TrainableCodec;
  /** Image crops, NHWC float32 in `[0, 1]`; sides divisible by the codec's downsampling. */
  readonly data: HrBatchSource;
  /** Weight of the mean absolute reconstruction error (default 1). */
  readonly l1Weight?: number;
  /**
   * Weight of the KL term (default 1e-6, Stable Diffusion's `kl_weight`). The KL is summed over
   * the latent and divided by the pixel values per image, so relative to the per-pixel L1 it
   * carries the same weight as in LDM's loss (`sum |x - x'| + kl_weight * KL`, both per image).
   */
  readonly klWeight?: number;
  /** Decode a posterior draw (default `true`, as LDM trains) rather than its mean. */
  readonly samplePosterior?: boolean;
  /** Extra term on (reconstruction, input): a perceptual loss, or the generator side of an adversarial one. */
  readonly extraLoss?: ReconstructionLossHook;
  /**
   * Which codec parameters train (default all). `isDecoderParameter` trains the decoder of a
   * fixed encoder: the latent space, and every U-Net trained on it, stays valid while the
   * reconstruction improves.
   */
  readonly trainParameter?: (name: string) => boolean;
}

/** One micro-batch of VAE training. */
export type VaeBatch = {
  /** Input crops in `[-1, 1]`: NHWC `[N, H, W, 3]`. */
  readonly image: tf.Tensor4D;
};

/**
 * VAE training from scratch, for small models that do not start from Stable Diffusion's
 * weights: `loss = l1Weight * mean|x - decode(z)| + klWeight * KL(q(z|x) || N(0, I)) / (H W 3)`,
 * `z` drawn from the posterior with `ctx.rng.fork('posterior')` (reparameterized, so gradients
 * reach the encoder's mean and log-variance), plus an optional extra term. All codec
 * parameters train, or those `trainParameter` selects (the rest are frozen by this call).
 * @throws {@link TrainingArgumentError} for negative or non-finite weights, or a selection that trains nothing.
 */
export function createVaeStage(options: VaeStageOptions): Stage<VaeBatch> {
  const { codec, data, extraLoss } = options;
  const l1Weight = options.l1Weight ?? 1;
  const klWeight = options.klWeight ?? 1e-6;
  checkWeight('l1Weight', l1Weight);
  checkWeight('klWeight', klWeight);
  const samplePosterior = options.samplePosterior ?? true;
  if (options.trainParameter !== undefined) freezeAllBut(codec, options.trainParameter, 'VAE training');

  const task: TrainTask<VaeBatch> = {
    batch: async (ctx: StepContext): Promise<VaeBatch> => {
      const hr = await data.batch(ctx.microBatchIndex);
      try {
        return { image: toSigned(hr) };
      } finally {
        hr.dispose();
      }
    },
    loss: ({ image }, ctx) => {
      codec.train(ctx.rng.fork('dropout'));
      return tf.tidy(() => {
        // Not disposed here: the tape needs the posterior's tensors; the gradient scope frees them.
        const posterior = codec.encode(image);
        const z = samplePosterior ? posterior.sample(ctx.rng.fork('posterior')) : posterior.mean;
        const reconstruction = codec.decode(z);
        const [, h, w, c] = image.shape;
        const l1 = tf.mean(tf.abs(tf.sub(reconstruction, image)));
        const kl = tf.div(tf.mean(posterior.kl()), h * w * c);
        let loss = tf.add(tf.mul(l1, l1Weight), tf.mul(kl, klWeight)) as tf.Scalar;
        if (extraLoss !== undefined) loss = tf.add(loss, extraLoss({ target: image, reconstruction, step: ctx.step, rng: ctx.rng.fork('extra') }));
        return loss;
      });
    },
  };
  return { name: 'vae', task, modelName: 'vae', model: codec };
}
