import * as tf from '@tensorflow/tfjs-core';
import type { LatentCodec, Rng } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import type { StepContext } from '../loop/step.js';
import { contextFor, encodeLatent, predictWith, toSigned } from './conditioning.js';
import type { LatentMode } from './conditioning.js';
import type { DiffusionLossOptions } from './diffusion-options.js';
import { drawTimesteps, lossWeights, mixtureWeights } from './noise.js';
import { pixelLoss } from './pixel-term.js';
import type { PixelTermBatch, PixelTermOptions } from './pixel-term.js';
import type { TrainableDenoiser, TrainingScheduler } from './types.js';

/**
 * One micro-batch of a diffusion stage (direct SR or scale distillation), everything the loss
 * needs that does not depend on the trained weights. The loop disposes it.
 */
export type DiffusionBatch = {
  /** `z_t`, the noisy latent: NHWC `[N, h, w, C]`, float32 (diffusion scale). */
  readonly zt: tf.Tensor4D;
  /** The trained denoiser's condition `z_lr`: NHWC `[N, h, w, C]`, float32. */
  readonly zlr: tf.Tensor4D;
  /** What the prediction is regressed on: NHWC `[N, h, w, C]`, float32. */
  readonly target: tf.Tensor4D;
  /** The timestep of each item, float32 `[N]` (integers in `[0, T)`). */
  readonly timesteps: tf.Tensor1D;
  /** Per-item loss weight, float32 `[N]` (ones, or min-SNR weights). */
  readonly weights: tf.Tensor1D;
  /** What the pixel term needs, when the stage has one (`pixelWeight > 0`). */
  readonly pixel?: PixelTermBatch;
};

/** The noised latents of one batch, before the target is chosen. The caller owns the tensors. */
export interface NoisedLatents {
  /** Clean latent `z_0`, NHWC `[N, h, w, C]`. */
  readonly z0: tf.Tensor4D;
  /** Standard-normal noise of `z_0`'s shape. */
  readonly noise: tf.Tensor4D;
  /** `scheduler.addNoise(z0, noise, t)`. */
  readonly zt: tf.Tensor4D;
  /** The timesteps drawn, one per item. */
  readonly t: number[];
}

/**
 * Encodes the HR batch to `z_0` and noises it at random timesteps, drawing from named forks of
 * `rng` (`'latent'`, `'timesteps'`, `'noise'`), so each draw is a function of the step alone.
 * @param hr NHWC `[N, H, W, 3]`, float32 in `[0, 1]`.
 * @param origin For residual diffusion: subtracted from the encoded latent, so the returned
 *   `z0` (and everything noised from it) is `z_0 - origin`; usually `z_lr`. Not disposed.
 * @param timesteps Which timesteps are drawn: `timestepRange` and `lastTimestepShare` (see {@link drawTimesteps}); default uniform over all.
 */
export function noisedLatents(
  codec: LatentCodec,
  scheduler: TrainingScheduler,
  hr: tf.Tensor4D,
  rng: Rng,
  mode: LatentMode,
  origin?: tf.Tensor4D,
  timesteps: Pick<DiffusionLossOptions, 'timestepRange' | 'lastTimestepShare'> = {},
): NoisedLatents {
  const t = drawTimesteps(rng.fork('timesteps'), hr.shape[0], scheduler.numTrainTimesteps, timesteps.timestepRange, timesteps.lastTimestepShare);
  const signed = toSigned(hr);
  try {
    const encoded = encodeLatent(codec, signed, mode, rng.fork('latent'));
    let z0 = encoded;
    if (origin !== undefined) {
      z0 = tf.sub(encoded, origin) as tf.Tensor4D;
      encoded.dispose();
    }
    return tf.tidy(() => {
      const noise = rng.fork('noise').normal(z0.shape) as tf.Tensor4D;
      const zt = scheduler.addNoise(z0, noise, t) as tf.Tensor4D;
      return { z0, noise, zt, t };
    });
  } finally {
    signed.dispose();
  }
}

/**
 * The regression target of the scheduler's prediction type: `v = sqrt(abar) * noise -
 * sqrt(1 - abar) * z_0` (`getVelocity`) for v-prediction, the noise for epsilon, `z_0` for sample.
 * @returns A new tensor; caller owns it.
 */
export function groundTruthTarget(scheduler: TrainingScheduler, latents: NoisedLatents): tf.Tensor4D {
  switch (scheduler.predictionType) {
    case 'v_prediction':
      return scheduler.getVelocity(latents.z0, latents.noise, latents.t) as tf.Tensor4D;
    case 'epsilon':
      return tf.clone(latents.noise);
    default:
      return tf.clone(latents.z0);
  }
}

/** What {@link timestepTensors} returns; the caller owns (and disposes) both tensors. */
export interface TimestepTensors {
  /** The batch's timesteps as float32 `[N]` (integers in `[0, numTrainTimesteps)`). */
  timesteps: tf.Tensor1D;
  /** Per-item loss weights, float32 `[N]`: ones, Min-SNR-gamma or x0 weights (see {@link lossWeights}). */
  weights: tf.Tensor1D;
}

/**
 * The float32 `[N]` timesteps and loss weights of a batch: the timestep weighting
 * (`snrGamma` or `weighting`, see {@link lossWeights}), times `uniformTimestepWeight` for the
 * items not at the range's last timestep (see {@link mixtureWeights}). Caller owns both.
 */
export function timestepTensors(
  scheduler: TrainingScheduler,
  t: readonly number[],
  options: Pick<DiffusionLossOptions, 'snrGamma' | 'weighting' | 'timestepRange' | 'uniformTimestepWeight'> = {},
): TimestepTensors {
  let weights = lossWeights(scheduler, t, options.snrGamma, options.weighting);
  const uniformWeight = options.uniformTimestepWeight ?? 1;
  if (uniformWeight !== 1) weights = mixtureWeights(weights, t, options.timestepRange?.[1] ?? scheduler.numTrainTimesteps - 1, uniformWeight);
  return { timesteps: tf.tensor1d([...t], 'float32'), weights: tf.tensor1d(weights, 'float32') };
}

/**
 * The diffusion loss of one micro-batch: `mean_i(w_i * mean_hwc(u_c * (f(z_t, z_lr, t) - target)^2))`,
 * the denoiser in training mode with dropout re-seeded from the step (`ctx.rng.fork('dropout')`),
 * plus `pixel.weight` times the pixel term ({@link pixelLoss}) when the batch carries one.
 * Runs under the gradient tape. Returns a float32 scalar.
 * @param channelWeights `u_c`, one per latent channel (see `decoderChannelWeights`); default all 1.
 */
export function diffusionLoss(
  denoiser: TrainableDenoiser,
  batch: DiffusionBatch,
  ctx: StepContext,
  context: tf.Tensor3D | undefined,
  channelWeights?: readonly number[],
  pixel?: PixelTermOptions,
): tf.Scalar {
  (denoiser as Module).train(ctx.rng.fork('dropout'));
  return tf.tidy(() => {
    const ctxTensor = contextFor(denoiser, batch.zt.shape[0], context);
    const pred = predictWith(denoiser, batch.zt, batch.zlr, batch.timesteps, ctxTensor);
    const squared = tf.square(tf.sub(pred, batch.target));
    const weighted = channelWeights === undefined ? squared : tf.mul(squared, tf.tensor1d([...channelWeights], 'float32'));
    const perItem = tf.mean(weighted, [1, 2, 3]);
    const latentLoss = tf.mean(tf.mul(perItem, batch.weights)) as tf.Scalar;
    if (pixel === undefined || batch.pixel === undefined) return latentLoss;
    const term = pixelLoss(pixel.codec, pixel.predictionType, batch.zt, pred, batch.pixel);
    return tf.add(latentLoss, tf.mul(term, pixel.weight)) as tf.Scalar;
  });
}
