import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@yonos/core';
import { check, DegradeError } from '../errors.js';
import { type ValueRange, uniformIn } from '../kernels/random.js';
import { finishNoisy, type NoiseOutputOptions, perSample, sampleColumn } from './output.js';
import { MAX_EXPONENT, poissonTable } from './poisson-table.js';

const fail = (message: string): never => {
  throw new DegradeError(message);
};

/**
 * Exact Poisson draws by inverse-CDF lookup, on the current backend: for each element,
 * `X = #{k : F(k) <= u}` with `F` the CDF of rate `float32(level / 255) * 2^exponent`,
 * found by binary lifting (one gather per bit of the largest count) in CDF tables computed
 * once on the host in float64, one row per exponent and level (9 x 256). Given the same
 * uniforms, every backend returns the same counts.
 *
 * @param levels Integer-valued 8-bit levels in [0, 255] (float32 or int32), any shape.
 * @param exponents Integer-valued exponents in [0, 8], broadcastable to `levels`.
 * @param uniforms float32 uniforms in [0, 1), the shape of `levels`.
 * @returns float32 counts, the shape of `levels`.
 */
export function samplePoissonLevels(levels: tf.Tensor, exponents: tf.Tensor, uniforms: tf.Tensor): tf.Tensor {
  const table = poissonTable();
  return tf.tidy(() => {
    const cdf = tf.tensor1d(table.cdf, 'float32');
    const e = tf.cast(exponents, 'int32');
    const rowLength = tf.gather(tf.tensor1d(table.length, 'int32'), e);
    // Index math in int32: row start minus one, so candidate count c reads F(c - 1).
    const beforeRow = tf.add(tf.gather(tf.tensor1d(table.base, 'int32'), e), tf.sub(tf.mul(tf.cast(levels, 'int32'), rowLength), tf.scalar(1, 'int32')));
    // Largest t in [0, length] with F(t - 1) <= u, built bit by bit; candidates past the row
    // read its last entry, which is 1 > u, so they are never taken.
    let t: tf.Tensor = tf.zerosLike(tf.cast(levels, 'int32'));
    for (let bit = table.steps - 1; bit >= 0; bit--) {
      const candidate = tf.add(t, tf.scalar(2 ** bit, 'int32'));
      const f = tf.gather(cdf, tf.add(beforeRow, tf.minimum(candidate, rowLength)));
      t = tf.where(tf.lessEqual(f, uniforms), candidate, t);
    }
    return tf.cast(t, 'float32');
  });
}

/**
 * Number of distinct 8-bit levels per row of `[N, P]` int32 levels in [0, 255], as float32
 * `[N]`. The 256-bin histogram is a matmul of one-hot codes of the high and low nibbles
 * (`[N, 16, P] x [N, P, 16]`, counts exact in float32): only standard kernels, because
 * tfjs-backend-webgpu 4.22's bincount returns wrong counts (its binary mode does not compile).
 */
export function distinctLevels(levels: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const sixteen = tf.scalar(16, 'int32');
    // int32 one-hots, then cast: tfjs-backend-wasm 4.22 writes integer bits into float32 one-hots.
    const high = tf.cast(tf.oneHot(tf.floorDiv(levels, sixteen), 16), 'float32');
    const low = tf.cast(tf.oneHot(tf.mod(levels, sixteen), 16), 'float32');
    const histogram = tf.matMul(high, low, true, false);
    return tf.sum(tf.cast(tf.greater(histogram, 0), 'float32'), [1, 2]) as tf.Tensor1D;
  });
}

/**
 * Shot noise of one image set, as in BasicSR: quantize to 8-bit levels, `vals` = the
 * per-sample number of distinct levels rounded up to a power of two, then
 * `Poisson(q * vals) / vals - q` with `q = level / 255`. Call inside a tidy.
 */
function shotNoise(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const n = images.shape[0];
  const levels = tf.clipByValue(tf.round(tf.mul(images, 255)), 0, 255);
  const quantized = tf.div(levels, 255);
  const distinct = distinctLevels(tf.cast(tf.reshape(levels, [n, -1]), 'int32') as tf.Tensor2D);
  // ceil(log2(count)) as a count of thresholds, exact where a float log2 might not be.
  let exponent: tf.Tensor = tf.zerosLike(distinct);
  for (let t = 0; t < MAX_EXPONENT; t++) {
    exponent = tf.add(exponent, tf.cast(tf.greater(distinct, 2 ** t), 'float32'));
  }
  const exponentColumn = tf.reshape(exponent, [n, 1, 1, 1]);
  const vals = tf.gather(tf.tensor1d(Array.from({ length: MAX_EXPONENT + 1 }, (_, i) => 2 ** i), 'float32'), tf.cast(exponentColumn, 'int32'));
  const counts = samplePoissonLevels(levels, exponentColumn, rng.uniform(images.shape));
  return tf.sub(tf.div(counts, vals), quantized);
}

/** torchvision's `rgb_to_grayscale` weights, `[N, H, W, 1]`. Call inside a tidy. */
function grayscale(images: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = images.shape;
  const channel = (c: number): tf.Tensor => tf.slice(images, [0, 0, 0, c], [n, h, w, 1]);
  return tf.add(tf.add(tf.mul(channel(0), 0.2989), tf.mul(channel(1), 0.587)), tf.mul(channel(2), 0.114));
}

/** Options of {@link addPoissonNoise}. */
export interface PoissonNoiseOptions extends NoiseOutputOptions {
  /** Multiplier of the shot noise: one, or one per sample. */
  readonly scale: number | readonly number[];
  /** Noise from the luminance, shared by the channels (RGB input): one flag, or one per sample. Default `false`. */
  readonly gray?: boolean | readonly boolean[];
}

/**
 * Poisson (shot) noise, BasicSR's `generate_poisson_noise_pt`, computed entirely on the
 * current backend (no read-back, so it also runs synchronously on WebGPU).
 *
 * Exactness: the counts follow exactly the distribution `torch.poisson` samples (exact
 * inverse CDF from float64 tables; the only approximation is the 2^-24 resolution of the
 * float32 uniforms), with BasicSR's quirks kept: rates from the image quantized to 8 bits,
 * `vals` from its distinct-level count, noise measured against the quantized image but
 * added to the original. Seeds: the uniforms come from `rng` (gray field `[N, H, W, 1]`
 * first, only if some sample is gray, then the colour field), so a seed reproduces the
 * noise on every backend, but not PyTorch's stream.
 *
 * @param images NHWC `[N, H, W, C]`, float32 in [0, 1]; `C = 3` (RGB) when any sample is gray.
 * @returns NHWC float32 noise, the shape of `images`.
 */
export function generatePoissonNoise(images: tf.Tensor4D, scale: number | readonly number[], gray: boolean | readonly boolean[], rng: Rng): tf.Tensor4D {
  check(images.rank === 4, () => `poisson noise: images must be NHWC rank 4, got shape [${images.shape.join(', ')}].`);
  const n = images.shape[0];
  const scales = perSample(scale, n, 'poisson noise scale', fail);
  const grays = perSample(gray, n, 'poisson noise gray', fail);
  check(scales.every((s) => Number.isFinite(s)), () => `poisson noise: scale must be finite, got [${scales.join(', ')}].`);
  const anyGray = grays.some((g) => g);
  check(!anyGray || images.shape[3] === 3, () => `poisson noise: gray noise needs RGB images, got ${images.shape[3]} channels.`);
  return tf.tidy(() => {
    const grayNoise = anyGray ? shotNoise(grayscale(images), rng) : null;
    let noise: tf.Tensor = shotNoise(images, rng);
    if (grayNoise !== null) {
      const g = sampleColumn(grays.map((v) => (v ? 1 : 0)));
      noise = tf.add(tf.mul(noise, tf.sub(1, g)), tf.mul(grayNoise, g));
    }
    return tf.mul(noise, sampleColumn(scales)) as tf.Tensor4D;
  });
}

/**
 * Adds Poisson noise (BasicSR `add_poisson_noise_pt`), then clips and/or rounds.
 * @param images NHWC `[N, H, W, C]`, float32 in [0, 1].
 * @returns NHWC `[N, H, W, C]`, float32 (in [0, 1] with the default `clip`).
 */
export function addPoissonNoise(images: tf.Tensor4D, options: PoissonNoiseOptions, rng: Rng): tf.Tensor4D {
  return tf.tidy(() => finishNoisy(images, generatePoissonNoise(images, options.scale, options.gray ?? false, rng), options));
}

/** Options of {@link randomAddPoissonNoise}. */
export interface RandomPoissonNoiseOptions extends NoiseOutputOptions {
  /** Range of the scale, drawn per sample. Real-ESRGAN: `[0.05, 3]`, then `[0.05, 2.5]`. */
  readonly scaleRange: ValueRange;
  /** Probability that a sample gets gray noise. Real-ESRGAN: 0.4. Default 0. */
  readonly grayProb?: number;
}

/**
 * BasicSR's `random_add_poisson_noise_pt`: per sample, the scale uniform in `scaleRange`
 * (all samples first), then the gray choice, then the noise.
 * @param images NHWC `[N, H, W, 3]`, float32 in [0, 1].
 */
export function randomAddPoissonNoise(images: tf.Tensor4D, options: RandomPoissonNoiseOptions, rng: Rng): tf.Tensor4D {
  const n = images.shape[0];
  const scale = Array.from({ length: n }, () => uniformIn(rng, options.scaleRange));
  const gray = Array.from({ length: n }, () => rng.nextFloat() < (options.grayProb ?? 0));
  return addPoissonNoise(images, { ...options, scale, gray }, rng);
}
