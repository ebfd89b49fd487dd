import * as tf from '@tensorflow/tfjs-core';
import { check } from '../errors.js';
import { separableFilter } from './separable.js';

/** OpenCV's fixed kernels for small sizes when sigma <= 0 (`getGaussianKernel`'s table). */
const SMALL_GAUSSIAN: Readonly<Record<number, readonly number[]>> = {
  1: [1],
  3: [0.25, 0.5, 0.25],
  5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
  7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
};

/**
 * `cv2.getGaussianKernel(size, sigma)` in float64: `exp(-x^2 / (2 sigma^2))` normalized,
 * `x` the offset from the centre; `sigma <= 0` means `0.3 ((size - 1) / 2 - 1) + 0.8`, and
 * then sizes 1, 3, 5, 7 use OpenCV's fixed binomial-like table instead.
 * @param size Odd number of taps.
 */
export function gaussianKernel1d(size: number, sigma = 0): Float64Array {
  check(Number.isInteger(size) && size >= 1 && size % 2 === 1, () => `gaussianKernel1d: size must be a positive odd integer, got ${size}.`);
  const fixed = SMALL_GAUSSIAN[size];
  if (sigma <= 0 && fixed !== undefined) {
    return Float64Array.from(fixed);
  }
  const s = sigma > 0 ? sigma : 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
  const out = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - (size - 1) * 0.5;
    const v = Math.exp((-0.5 / (s * s)) * x * x);
    out[i] = v;
    sum += v;
  }
  for (const [i, v] of out.entries()) {
    out[i] = v / sum;
  }
  return out;
}

/** Options of {@link usmSharp} (Real-ESRGAN's defaults). */
export interface UsmSharpOptions {
  /** Blur kernel size; an even value is bumped to the next odd one. Default 50 (so 51). */
  readonly radius?: number;
  /** Gaussian sigma; 0 derives it from the size as OpenCV does (8 for size 51). Default 0. */
  readonly sigma?: number;
  /** Strength of the sharpening. Default 0.5. */
  readonly weight?: number;
  /** Residuals at or below this many 8-bit levels are left alone. Default 10. */
  readonly threshold?: number;
}

/**
 * Unsharp masking as Real-ESRGAN sharpens its ground truth (BasicSR `USMSharp`):
 * `blur = G * img`, `residual = img - blur`, mask = `|residual| * 255 > threshold`, softened
 * by the same blur; output `soft * clip(img + weight * residual, 0, 1) + (1 - soft) * img`.
 * The Gaussian is OpenCV's `getGaussianKernel(radius, sigma)` (applied separably) with
 * reflect-101 borders, which is what both BasicSR's `USMSharp` and `cv2.GaussianBlur` use.
 *
 * @param images NHWC `[N, H, W, C]`, float32 in [0, 1].
 * @returns NHWC `[N, H, W, C]`, float32 in [0, 1] wherever the input is.
 */
export function usmSharp(images: tf.Tensor4D, options: UsmSharpOptions = {}): tf.Tensor4D {
  check(images.rank === 4, () => `usmSharp: images must be NHWC rank 4, got shape [${images.shape.join(', ')}].`);
  let radius = options.radius ?? 50;
  check(Number.isInteger(radius) && radius >= 1, () => `usmSharp: radius must be a positive integer, got ${radius}.`);
  if (radius % 2 === 0) {
    radius += 1;
  }
  const weight = options.weight ?? 0.5;
  const threshold = options.threshold ?? 10;
  const taps = Float32Array.from(gaussianKernel1d(radius, options.sigma ?? 0));
  return tf.tidy(() => {
    const blur = separableFilter(images, taps);
    const residual = tf.sub(images, blur);
    const mask = tf.cast(tf.greater(tf.mul(tf.abs(residual), 255), threshold), 'float32') as tf.Tensor4D;
    const soft = separableFilter(mask, taps);
    const sharp = tf.clipByValue(tf.add(images, tf.mul(residual, weight)), 0, 1);
    return tf.add(tf.mul(soft, sharp), tf.mul(tf.sub(1, soft), images));
  });
}
