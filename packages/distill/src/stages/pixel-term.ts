import * as tf from '@tensorflow/tfjs-core';
import type { LatentCodec, PredictionType } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';
import { unscaleLatent } from './conditioning.js';
import { mixtureWeights } from './noise.js';
import type { TrainingScheduler } from './types.js';

/**
 * What the pixel term of a diffusion loss needs of one micro-batch besides the prediction
 * (see `pixelLoss`). Part of the batch, so the loop disposes it.
 */
export type PixelTermBatch = {
  /** The image the decoded `x_0` estimate is pulled towards: NHWC `[N, H, W, 3]`, float32, `[-1, 1]`. */
  readonly target: tf.Tensor4D;
  /** `sqrt(abar_t)` per item, float32 `[N]`. */
  readonly sqrtAlphaBar: tf.Tensor1D;
  /** `sqrt(1 - abar_t)` per item, float32 `[N]`. */
  readonly sqrtOneMinusAlphaBar: tf.Tensor1D;
  /** Per-item weight: 1 at the range's last timestep, the mixture's uniform weight elsewhere, float32 `[N]`. */
  readonly weights: tf.Tensor1D;
  /** Residual diffusion: the trained network's `z_lr`, added to its `x_0` estimate before decoding. */
  readonly origin?: tf.Tensor4D;
};

/** The pixel term of `diffusionLoss`: the codec that decodes the `x_0` estimate, and the term's weight. */
export interface PixelTermOptions {
  /** The frozen codec; its decoder runs under the gradient tape, its weights are not trained. */
  readonly codec: LatentCodec;
  /** How the prediction becomes `x_0` (the scheduler's prediction type). */
  readonly predictionType: PredictionType;
  /** Weight of the term (> 0). */
  readonly weight: number;
}

/** Which timesteps a pixel term covers and how it weighs them: the stage's timestep options. */
export interface PixelTermTimesteps {
  /** The range trained on (default all); its last timestep is the one-step one. */
  readonly timestepRange?: readonly [number, number];
  /** Weight of the items off the last timestep (default 1). */
  readonly uniformTimestepWeight?: number;
}

/**
 * Checks a pixel-term weight and that the scheduler can convert a prediction to `x_0` (the
 * stages call it when built, so a bad option fails before the first step).
 * @throws {@link TrainingArgumentError} for a negative or non-finite weight, or a scheduler without `alphasCumprod`.
 */
export function checkPixelWeight(weight: number | undefined, scheduler: TrainingScheduler): void {
  if (weight === undefined || weight === 0) return;
  if (!(Number.isFinite(weight) && weight > 0)) throw new TrainingArgumentError(`pixelWeight must be a finite number >= 0, got ${weight}.`);
  if (scheduler.alphasCumprod === undefined) {
    throw new TrainingArgumentError("pixelWeight needs the scheduler's alphasCumprod to turn a prediction into x_0, which this scheduler does not expose; use DDIMScheduler.");
  }
}

/**
 * A diffusion stage's pixel term from its options, checked ({@link checkPixelWeight}) when the
 * stage is built: `undefined` when `pixelWeight` is 0 or unset.
 * @throws {@link TrainingArgumentError} as {@link checkPixelWeight}.
 */
export function pixelTermOptions(pixelWeight: number | undefined, codec: LatentCodec, scheduler: TrainingScheduler): PixelTermOptions | undefined {
  checkPixelWeight(pixelWeight, scheduler);
  if (pixelWeight === undefined || pixelWeight === 0) return undefined;
  return { codec, predictionType: scheduler.predictionType, weight: pixelWeight };
}

/** `sqrt(abar_t)` and `sqrt(1 - abar_t)` per item, what turns a prediction into `x_0`. */
export type AlphaBarRoots = Pick<PixelTermBatch, 'sqrtAlphaBar' | 'sqrtOneMinusAlphaBar'>;

/**
 * `sqrt(abar_t)` and `sqrt(1 - abar_t)` of the items' timesteps, float32 `[N]` each; caller owns them.
 * @throws {@link TrainingArgumentError} for a scheduler without `alphasCumprod` or a timestep outside it.
 */
export function alphaBarRoots(scheduler: TrainingScheduler, t: readonly number[]): AlphaBarRoots {
  const alphas = scheduler.alphasCumprod;
  if (alphas === undefined) throw new TrainingArgumentError("pixelWeight needs the scheduler's alphasCumprod; use DDIMScheduler.");
  const abar = t.map((step) => {
    const a = alphas[step];
    if (a === undefined) throw new TrainingArgumentError(`pixel term: timestep ${step} is outside the schedule of ${alphas.length} steps.`);
    return a;
  });
  return {
    sqrtAlphaBar: tf.tensor1d(abar.map(Math.sqrt), 'float32'),
    sqrtOneMinusAlphaBar: tf.tensor1d(abar.map((a) => Math.sqrt(1 - a)), 'float32'),
  };
}

/**
 * The per-batch tensors of the pixel term, built with the batch (outside the gradient tape).
 * @param target NHWC `[N, H, W, 3]` in `[-1, 1]`; cloned, not disposed.
 * @param t The items' timesteps.
 * @param origin The trained network's `z_lr` under residual diffusion; cloned, not disposed.
 */
export function pixelTermBatch(
  scheduler: TrainingScheduler,
  target: tf.Tensor4D,
  t: readonly number[],
  timesteps: PixelTermTimesteps,
  origin?: tf.Tensor4D,
): PixelTermBatch {
  const last = timesteps.timestepRange?.[1] ?? scheduler.numTrainTimesteps - 1;
  const weights = mixtureWeights(
    t.map(() => 1),
    t,
    last,
    timesteps.uniformTimestepWeight ?? 1,
  );
  return {
    target: tf.clone(target),
    ...alphaBarRoots(scheduler, t),
    weights: tf.tensor1d(weights, 'float32'),
    ...(origin !== undefined ? { origin: tf.clone(origin) } : {}),
  };
}

/**
 * The clean latent a prediction implies at `z_t`: `sqrt(abar) z_t - sqrt(1 - abar) v` for v,
 * `(z_t - sqrt(1 - abar) eps) / sqrt(abar)` for epsilon, the prediction itself for sample.
 * @param sqrtAlphaBar,sqrtOneMinusAlphaBar Per item, `[N]`.
 * @returns NHWC, like `zt`; caller owns it.
 */
export function impliedX0(
  predictionType: PredictionType,
  zt: tf.Tensor4D,
  prediction: tf.Tensor4D,
  sqrtAlphaBar: tf.Tensor1D,
  sqrtOneMinusAlphaBar: tf.Tensor1D,
): tf.Tensor4D {
  return tf.tidy(() => {
    const n = zt.shape[0];
    const sa = tf.reshape(sqrtAlphaBar, [n, 1, 1, 1]);
    const so = tf.reshape(sqrtOneMinusAlphaBar, [n, 1, 1, 1]);
    if (predictionType === 'v_prediction') return tf.sub(tf.mul(sa, zt), tf.mul(so, prediction)) as tf.Tensor4D;
    if (predictionType === 'epsilon') return tf.div(tf.sub(zt, tf.mul(so, prediction)), sa) as tf.Tensor4D;
    return tf.clone(prediction);
  });
}

/**
 * The image a prediction implies: its `x_0` estimate (plus `origin` under residual diffusion),
 * brought back from the diffusion scale and decoded. Differentiable in `prediction` when run
 * under the gradient tape (the codec's weights are not trained here).
 * @returns NHWC `[N, H, W, 3]`, nominally `[-1, 1]`; caller owns it.
 */
export function decodePrediction(
  codec: LatentCodec,
  predictionType: PredictionType,
  zt: tf.Tensor4D,
  prediction: tf.Tensor4D,
  pixel: AlphaBarRoots & Pick<PixelTermBatch, 'origin'>,
): tf.Tensor4D {
  return tf.tidy(() => {
    let x0 = impliedX0(predictionType, zt, prediction, pixel.sqrtAlphaBar, pixel.sqrtOneMinusAlphaBar);
    if (pixel.origin !== undefined) x0 = tf.add(x0, pixel.origin) as tf.Tensor4D;
    return codec.decode(unscaleLatent(codec, x0));
  });
}

/**
 * The pixel term: `mean_i(w_i * mean_hwc(|decode(x_0(prediction)) - target|))`, the L1 the
 * decoder fine-tuning stage uses, measured where the evaluation measures (on the image, through
 * the frozen decoder) rather than on the latent. Runs under the gradient tape. Returns a float32 scalar.
 */
export function pixelLoss(codec: LatentCodec, predictionType: PredictionType, zt: tf.Tensor4D, prediction: tf.Tensor4D, pixel: PixelTermBatch): tf.Scalar {
  return tf.tidy(() => {
    const image = decodePrediction(codec, predictionType, zt, prediction, pixel);
    const perItem = tf.mean(tf.abs(tf.sub(image, pixel.target)), [1, 2, 3]);
    return tf.mean(tf.mul(perItem, pixel.weights)) as tf.Scalar;
  });
}
