import * as tf from '@tensorflow/tfjs-core';
import type { PredictionType } from '@yonos/core';
import { SchedulerUsageError } from './errors.js';

/**
 * Pure conversions between what a denoiser may predict (epsilon, v, x0) and the noisy
 * sample `x_t = sqrt(abar) * x0 + sqrt(1 - abar) * epsilon`, with
 * `v = sqrt(abar) * epsilon - sqrt(1 - abar) * x0` (Salimans & Ho 2022).
 *
 * Every function takes tensors of one shape (any layout, float32) and returns a new
 * tensor of that shape that the caller owns; inputs are not disposed. The operation order
 * follows diffusers' `DDIMScheduler.step`, so float32 results agree with it closely.
 */

/**
 * `alpha_bar_t` (`alphas_cumprod[t]`): a number in [0, 1] for the whole batch, or a float32
 * tensor broadcastable against the sample (for example `[N, 1, 1, 1]` for per-item timesteps,
 * see `DDIMScheduler.alphasCumprodAt`).
 */
export type AlphaProd = number | tf.Tensor;

interface Coefficients {
  /** `sqrt(abar)`. */
  readonly signal: number | tf.Tensor;
  /** `sqrt(1 - abar)`. */
  readonly noise: number | tf.Tensor;
}

const f32 = Math.fround;

/** Must be called inside `tf.tidy` when `alphaProd` is a tensor. */
function coefficients(alphaProd: AlphaProd): Coefficients {
  if (typeof alphaProd === 'number') {
    if (!(alphaProd >= 0 && alphaProd <= 1)) {
      throw new SchedulerUsageError(`alphaProd (alpha_bar_t) must be a number in [0, 1], got ${alphaProd}.`);
    }
    // Rounded like diffusers' float32 0-d tensors (`alpha_prod_t ** 0.5`, `(1 - alpha_prod_t) ** 0.5`).
    const a = f32(alphaProd);
    return { signal: f32(Math.sqrt(a)), noise: f32(Math.sqrt(f32(1 - a))) };
  }
  return { signal: tf.sqrt(alphaProd), noise: tf.sqrt(tf.sub(1, alphaProd)) };
}

function checkSameShape(a: tf.Tensor, b: tf.Tensor, names: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new SchedulerUsageError(
      `${names} must have the same shape; got [${a.shape.join(', ')}] and [${b.shape.join(', ')}].`,
    );
  }
}

/**
 * x0 from an epsilon prediction: `(x_t - sqrt(1 - abar) * epsilon) / sqrt(abar)`.
 * @param sample x_t, float32.
 * @param epsilon Predicted noise, same shape.
 * @param alphaProd abar_t; must be > 0 (the division is undefined at zero SNR).
 * @returns x0, same shape.
 */
export function x0FromEpsilon(sample: tf.Tensor, epsilon: tf.Tensor, alphaProd: AlphaProd): tf.Tensor {
  checkSameShape(sample, epsilon, 'sample and epsilon');
  return tf.tidy(() => {
    const c = coefficients(alphaProd);
    return tf.div(tf.sub(sample, tf.mul(c.noise, epsilon)), c.signal);
  });
}

/**
 * x0 from a v prediction: `sqrt(abar) * x_t - sqrt(1 - abar) * v`.
 * @param sample x_t, float32.
 * @param v Predicted velocity, same shape.
 * @param alphaProd abar_t in [0, 1].
 * @returns x0, same shape.
 */
export function x0FromV(sample: tf.Tensor, v: tf.Tensor, alphaProd: AlphaProd): tf.Tensor {
  checkSameShape(sample, v, 'sample and v');
  return tf.tidy(() => {
    const c = coefficients(alphaProd);
    return tf.sub(tf.mul(c.signal, sample), tf.mul(c.noise, v));
  });
}

/**
 * epsilon from an x0 prediction: `(x_t - sqrt(abar) * x0) / sqrt(1 - abar)`.
 * @param sample x_t, float32.
 * @param x0 Predicted clean sample, same shape.
 * @param alphaProd abar_t; must be < 1 (the division is undefined at infinite SNR).
 * @returns epsilon, same shape.
 */
export function epsilonFromX0(sample: tf.Tensor, x0: tf.Tensor, alphaProd: AlphaProd): tf.Tensor {
  checkSameShape(sample, x0, 'sample and x0');
  return tf.tidy(() => {
    const c = coefficients(alphaProd);
    return tf.div(tf.sub(sample, tf.mul(c.signal, x0)), c.noise);
  });
}

/**
 * epsilon from a v prediction: `sqrt(abar) * v + sqrt(1 - abar) * x_t`.
 * @param sample x_t, float32.
 * @param v Predicted velocity, same shape.
 * @param alphaProd abar_t in [0, 1].
 * @returns epsilon, same shape.
 */
export function epsilonFromV(sample: tf.Tensor, v: tf.Tensor, alphaProd: AlphaProd): tf.Tensor {
  checkSameShape(sample, v, 'sample and v');
  return tf.tidy(() => {
    const c = coefficients(alphaProd);
    return tf.add(tf.mul(c.signal, v), tf.mul(c.noise, sample));
  });
}

/**
 * The velocity `v = sqrt(abar) * epsilon - sqrt(1 - abar) * x0` (the v-prediction target).
 * @param x0 Clean sample, float32.
 * @param epsilon Noise, same shape.
 * @param alphaProd abar_t in [0, 1].
 * @returns v, same shape.
 */
export function vFrom(x0: tf.Tensor, epsilon: tf.Tensor, alphaProd: AlphaProd): tf.Tensor {
  checkSameShape(x0, epsilon, 'x0 and epsilon');
  return tf.tidy(() => {
    const c = coefficients(alphaProd);
    return tf.sub(tf.mul(c.signal, epsilon), tf.mul(c.noise, x0));
  });
}

/**
 * Forward diffusion `x_t = sqrt(abar) * x0 + sqrt(1 - abar) * epsilon`.
 * @param x0 Clean sample, float32.
 * @param epsilon Noise, same shape.
 * @param alphaProd abar_t in [0, 1].
 * @returns x_t, same shape.
 */
export function noisySampleFrom(x0: tf.Tensor, epsilon: tf.Tensor, alphaProd: AlphaProd): tf.Tensor {
  checkSameShape(x0, epsilon, 'x0 and epsilon');
  return tf.tidy(() => {
    const c = coefficients(alphaProd);
    return tf.add(tf.mul(c.signal, x0), tf.mul(c.noise, epsilon));
  });
}

function unknownType(predictionType: never): never {
  throw new SchedulerUsageError(
    `predictionType must be "epsilon", "v_prediction" or "sample"; got ${String(predictionType)}.`,
  );
}

/**
 * The model's estimate of x0, whatever it predicts.
 * @param predictionType What `modelOutput` is.
 * @param modelOutput The denoiser's output at x_t, float32.
 * @param sample x_t, same shape.
 * @param alphaProd abar_t (> 0 for `'epsilon'`).
 * @returns x0, same shape (a new tensor even for `'sample'`).
 */
export function predictionToX0(
  predictionType: PredictionType,
  modelOutput: tf.Tensor,
  sample: tf.Tensor,
  alphaProd: AlphaProd,
): tf.Tensor {
  switch (predictionType) {
    case 'epsilon':
      return x0FromEpsilon(sample, modelOutput, alphaProd);
    case 'v_prediction':
      return x0FromV(sample, modelOutput, alphaProd);
    case 'sample':
      checkSameShape(sample, modelOutput, 'sample and modelOutput');
      return tf.clone(modelOutput);
    default:
      return unknownType(predictionType);
  }
}

/**
 * The model's estimate of the noise epsilon, whatever it predicts.
 * @param predictionType What `modelOutput` is.
 * @param modelOutput The denoiser's output at x_t, float32.
 * @param sample x_t, same shape.
 * @param alphaProd abar_t (< 1 for `'sample'`).
 * @returns epsilon, same shape (a new tensor even for `'epsilon'`).
 */
export function predictionToEpsilon(
  predictionType: PredictionType,
  modelOutput: tf.Tensor,
  sample: tf.Tensor,
  alphaProd: AlphaProd,
): tf.Tensor {
  switch (predictionType) {
    case 'epsilon':
      checkSameShape(sample, modelOutput, 'sample and modelOutput');
      return tf.clone(modelOutput);
    case 'v_prediction':
      return epsilonFromV(sample, modelOutput, alphaProd);
    case 'sample':
      return epsilonFromX0(sample, modelOutput, alphaProd);
    default:
      return unknownType(predictionType);
  }
}

/**
 * What a denoiser of the given type should output for the noisy sample built from `x0`
 * and `epsilon`: the training target (`epsilon`, `v`, or `x0`).
 * @param predictionType The denoiser's prediction type.
 * @param x0 Clean sample, float32.
 * @param epsilon Noise, same shape.
 * @param alphaProd abar_t in [0, 1].
 * @returns The target, same shape (always a new tensor).
 */
export function predictionTarget(
  predictionType: PredictionType,
  x0: tf.Tensor,
  epsilon: tf.Tensor,
  alphaProd: AlphaProd,
): tf.Tensor {
  checkSameShape(x0, epsilon, 'x0 and epsilon');
  switch (predictionType) {
    case 'epsilon':
      return tf.clone(epsilon);
    case 'v_prediction':
      return vFrom(x0, epsilon, alphaProd);
    case 'sample':
      return tf.clone(x0);
    default:
      return unknownType(predictionType);
  }
}
