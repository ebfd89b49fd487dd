import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, NoiseScheduler } from '@yonos/core';
import { PipelineInputError } from './errors.js';

function missing(value: unknown, members: Record<string, 'function' | 'number'>): string[] {
  if (typeof value !== 'object' || value === null) return Object.keys(members);
  const v = value as Record<string, unknown>;
  return Object.entries(members)
    .filter(([name, type]) => typeof v[name] !== type)
    .map(([name]) => name);
}

function describe(value: unknown): string {
  return (value as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof value;
}

/** @throws PipelineInputError unless `value` has the members of a {@link LatentCodec}. */
export function asLatentCodec(value: unknown, where: string): LatentCodec {
  const lacking = missing(value, {
    encode: 'function',
    decode: 'function',
    latentChannels: 'number',
    downsampleFactor: 'number',
    scalingFactor: 'number',
    shiftFactor: 'number',
    estimateMemory: 'function',
  });
  if (lacking.length > 0) {
    throw new PipelineInputError(`${where} (${describe(value)}) is not a LatentCodec: it lacks ${lacking.join(', ')}.`);
  }
  return value as LatentCodec;
}

/** @throws PipelineInputError unless `value` has the members of a {@link Denoiser}. */
export function asDenoiser(value: unknown, where: string): Denoiser {
  const lacking = missing(value, {
    forward: 'function',
    inChannels: 'number',
    outChannels: 'number',
    downsampleFactor: 'number',
    estimateMemory: 'function',
  });
  if (lacking.length > 0) {
    throw new PipelineInputError(`${where} (${describe(value)}) is not a Denoiser: it lacks ${lacking.join(', ')}.`);
  }
  return value as Denoiser;
}

/** @throws PipelineInputError unless `value` has the members of a {@link NoiseScheduler}. */
export function asScheduler(value: unknown, where: string): NoiseScheduler {
  const lacking = missing(value, { setTimesteps: 'function', step: 'function', numTrainTimesteps: 'number', initNoiseSigma: 'number' });
  if (lacking.length > 0) {
    throw new PipelineInputError(`${where} (${describe(value)}) is not a NoiseScheduler: it lacks ${lacking.join(', ')}.`);
  }
  return value as NoiseScheduler;
}

/** @throws PipelineInputError unless the denoiser takes `concat(z_t, z_lr)` of the codec's latents and returns one latent. */
export function checkCompatible(vae: LatentCodec, unet: Denoiser): void {
  const c = vae.latentChannels;
  if (unet.inChannels !== 2 * c || unet.outChannels !== c) {
    throw new PipelineInputError(
      `the denoiser takes ${unet.inChannels} channels and returns ${unet.outChannels}, but the codec's latents have ${c}: ` +
        `a YONOS denoiser takes concat(z_t, z_lr) = ${2 * c} channels and returns ${c}.`,
    );
  }
}

/** @throws PipelineInputError unless `x` is an NHWC float32 image with `channels` channels. */
export function checkImage(x: tf.Tensor, channels: number, where: string): asserts x is tf.Tensor4D {
  if (x.rank !== 4 || x.shape[3] !== channels || x.dtype !== 'float32') {
    throw new PipelineInputError(
      `${where} expects an NHWC float32 image [N, H, W, ${channels}] in [-1, 1]; got ${x.dtype} [${x.shape.join(', ')}].`,
    );
  }
}

/**
 * How far values of an input image may stray outside `[-1, 1]` and still be accepted: float
 * rounding of a conversion such as `x * (2 / 255) - 1` (a few float32 ulps at 1), nothing more.
 */
export const IMAGE_RANGE_SLACK = 1e-5;

/**
 * Checks the values of an image the pipeline documents as `[-1, 1]`: all finite and within
 * `[-1, 1]` (up to {@link IMAGE_RANGE_SLACK}). One reduction and one asynchronous read of three
 * numbers. Values in `[0, 1]` pass (they are in range) and come out darker: map them with
 * `x * 2 - 1` yourself.
 * @param x NHWC float32 image, not disposed.
 * @throws PipelineInputError for an empty image, a NaN or infinite value, or a value outside
 *   `[-1, 1]`; the message gives the range found and how to convert 0-255 and `[0, 1]` pixels.
 */
export async function checkImageRange(x: tf.Tensor, where: string): Promise<void> {
  if (x.size === 0) {
    throw new PipelineInputError(`${where} got an empty image [${x.shape.join(', ')}]; give it at least one pixel.`);
  }
  const stats = tf.tidy(() => tf.stack([tf.min(x), tf.max(x), tf.sum(tf.cast(tf.logicalNot(tf.isFinite(x)), 'float32'))]));
  let min: number;
  let max: number;
  let nonFinite: number;
  try {
    [min, max, nonFinite] = Array.from(await stats.data()) as [number, number, number];
  } finally {
    stats.dispose();
  }
  if (nonFinite > 0) {
    throw new PipelineInputError(`${where} expects finite pixel values in [-1, 1], but ${nonFinite} value(s) are NaN or infinite; fix the image.`);
  }
  if (min < -1 - IMAGE_RANGE_SLACK || max > 1 + IMAGE_RANGE_SLACK) {
    throw new PipelineInputError(
      `${where} expects pixel values in [-1, 1] (-1 black, 1 white), but they range from ${min} to ${max}. ` +
        'Map 0-255 pixels with x / 127.5 - 1 and [0, 1] values with x * 2 - 1 first (or pass a RawImage to upscale(), which converts), ' +
        'and clamp values that over- or undershoot, e.g. after a bicubic resize, with tf.clipByValue(x, -1, 1).',
    );
  }
}

/** @throws PipelineInputError unless `value` is a positive finite number. */
export function checkPositive(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PipelineInputError(`${name} must be a positive number, got ${String(value)}.`);
  }
}

/** @throws PipelineInputError unless `value` is a positive integer. */
export function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new PipelineInputError(`${name} must be a positive integer, got ${String(value)}.`);
  }
}
