import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@yonos/core';
import { check, DegradeError } from '../errors.js';
import { type ValueRange, uniformIn } from '../kernels/random.js';
import { finishNoisy, type NoiseOutputOptions, perSample, sampleColumn } from './output.js';

const fail = (message: string): never => {
  throw new DegradeError(message);
};

/** Options of {@link addGaussianNoise}. */
export interface GaussianNoiseOptions extends NoiseOutputOptions {
  /** Standard deviation in 8-bit levels (noise std is `sigma / 255`): one, or one per sample. */
  readonly sigma: number | readonly number[];
  /** Same noise on all channels (one draw per pixel): one flag, or one per sample. Default `false`. */
  readonly gray?: boolean | readonly boolean[];
}

/**
 * Zero-mean Gaussian noise of per-sample standard deviation `sigma / 255`, BasicSR's
 * `generate_gaussian_noise_pt`: colour noise for every sample and, when any sample is gray,
 * one per-pixel draw shared by the channels, selected per sample. Draws from `rng` in
 * BasicSR's order: the gray field `[N, H, W, 1]` (only if some sample is gray), then the
 * colour field `[N, H, W, C]`.
 *
 * @param shape NHWC shape of the images the noise is for.
 * @returns NHWC float32 noise of that shape.
 */
export function generateGaussianNoise(shape: readonly [number, number, number, number], sigma: number | readonly number[], gray: boolean | readonly boolean[], rng: Rng): tf.Tensor4D {
  const [n, h, w] = shape;
  const sigmas = perSample(sigma, n, 'gaussian noise sigma', fail);
  const grays = perSample(gray, n, 'gaussian noise gray', fail);
  check(sigmas.every((s) => Number.isFinite(s) && s >= 0), () => `gaussian noise: sigma must be >= 0, got [${sigmas.join(', ')}].`);
  const anyGray = grays.some((g) => g);
  return tf.tidy(() => {
    const grayField = anyGray ? rng.normal([n, h, w, 1]) : null;
    let unit = rng.normal(shape);
    if (grayField !== null) {
      const g = sampleColumn(grays.map((v) => (v ? 1 : 0)));
      unit = tf.add(tf.mul(unit, tf.sub(1, g)), tf.mul(grayField, g));
    }
    return tf.mul(unit, tf.div(sampleColumn(sigmas), 255)) as tf.Tensor4D;
  });
}

/**
 * Adds Gaussian noise (BasicSR `add_gaussian_noise_pt`), then clips and/or rounds.
 * @param images NHWC `[N, H, W, C]`, float32 in [0, 1].
 * @returns NHWC `[N, H, W, C]`, float32 (in [0, 1] with the default `clip`).
 */
export function addGaussianNoise(images: tf.Tensor4D, options: GaussianNoiseOptions, rng: Rng): tf.Tensor4D {
  check(images.rank === 4, () => `addGaussianNoise: images must be NHWC rank 4, got shape [${images.shape.join(', ')}].`);
  return tf.tidy(() => finishNoisy(images, generateGaussianNoise(images.shape, options.sigma, options.gray ?? false, rng), options));
}

/** Options of {@link randomAddGaussianNoise}. */
export interface RandomGaussianNoiseOptions extends NoiseOutputOptions {
  /** Range of `sigma` in 8-bit levels, drawn per sample. Real-ESRGAN: `[1, 30]`, then `[1, 25]`. */
  readonly sigmaRange: ValueRange;
  /** Probability that a sample gets gray noise. Real-ESRGAN: 0.4. Default 0. */
  readonly grayProb?: number;
}

/**
 * BasicSR's `random_add_gaussian_noise_pt`: per sample, `sigma` uniform in `sigmaRange`
 * (all samples first), then the gray choice (all samples), then the noise fields.
 * @param images NHWC `[N, H, W, C]`, float32 in [0, 1].
 */
export function randomAddGaussianNoise(images: tf.Tensor4D, options: RandomGaussianNoiseOptions, rng: Rng): tf.Tensor4D {
  const n = images.shape[0];
  const sigma = Array.from({ length: n }, () => uniformIn(rng, options.sigmaRange));
  const gray = Array.from({ length: n }, () => rng.nextFloat() < (options.grayProb ?? 0));
  return addGaussianNoise(images, { ...options, sigma, gray }, rng);
}
