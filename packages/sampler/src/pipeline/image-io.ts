import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '@yonos/core';
import type { ModelImage, RawImage } from '@yonos/core';
import { PipelineInputError } from './errors.js';

/** ITU-R BT.601 luma, the weights `toRawImage` of `@yonos/core` writes gray with. */
const LUMA = [0.299, 0.587, 0.114] as const;

/** A tensor image split into what the model sees and what is carried around it. */
export interface SplitImage {
  /** NHWC `[N, H, W, 3]` in `[-1, 1]`. */
  readonly rgb: tf.Tensor4D;
  /** NHWC `[N, H, W, 1]`, in the caller's alpha range; absent if none. */
  readonly alpha?: tf.Tensor4D;
  readonly gray: boolean;
}

/** Whether `image` is a decoded {@link RawImage} (integer pixels) rather than a tensor or {@link ModelImage}. */
export function isRawImage(image: unknown): image is RawImage {
  return typeof image === 'object' && image !== null && 'data' in image && 'width' in image && 'channels' in image;
}

/**
 * Splits an NHWC tensor with 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels, every
 * channel in `[-1, 1]`: gray is replicated to RGB, alpha (the last channel) is set aside.
 * @returns New tensors the caller owns.
 * @throws PipelineInputError for another rank or channel count.
 */
export function splitTensorImage(image: tf.Tensor4D): SplitImage {
  const c = image.shape[3];
  if (image.rank !== 4 || c === undefined || c < 1 || c > 4) {
    throw new PipelineInputError(
      `upscale expects an NHWC image [N, H, W, C] with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA), in [-1, 1]; ` +
        `got shape [${image.shape.join(', ')}].`,
    );
  }
  const gray = c <= 2;
  const hasAlpha = c === 2 || c === 4;
  return tf.tidy(() => {
    const colors = hasAlpha ? tf.slice(image, [0, 0, 0, 0], [-1, -1, -1, c - 1]) : image;
    const rgb = gray ? tf.tile(colors, [1, 1, 1, 3]) : tf.clone(colors);
    const alpha = hasAlpha ? tf.slice(image, [0, 0, 0, c - 1], [-1, -1, -1, 1]) : undefined;
    return { rgb: rgb as tf.Tensor4D, ...(alpha !== undefined ? { alpha: alpha as tf.Tensor4D } : {}), gray };
  });
}

/** `[N, H, W, 3] -> [N, H, W, 1]`: BT.601 luma. */
export function toLuma(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sum(tf.mul(rgb, tf.tensor1d(LUMA as unknown as number[])), 3, true) as tf.Tensor4D);
}

/**
 * Upscales an alpha channel the way the color is upscaled (the same MATLAB bicubic and
 * output size), then clamps it to its range, since bicubic overshoots near sharp edges.
 * @param alpha NHWC `[N, H, W, 1]`.
 * @param range `[min, max]` of the alpha values (`[0, 1]` for a {@link ModelImage}).
 * @returns NHWC `[N, ceil(H * scale), ceil(W * scale), 1]`; caller owns it.
 */
export function upscaleAlpha(alpha: tf.Tensor4D, scale: number, range: readonly [number, number]): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(imresize(alpha, scale), range[0], range[1]));
}

/** The channel layout of {@link splitTensorImage}'s input, rebuilt from an RGB result. Caller owns the result. */
export function mergeTensorImage(rgb: tf.Tensor4D, alpha: tf.Tensor4D | undefined, gray: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const colors = gray ? toLuma(rgb) : rgb;
    return alpha === undefined ? tf.clone(colors) : tf.concat([colors, alpha], 3);
  });
}

/** A {@link ModelImage}'s `rgb` made gray (luma replicated to three channels), so gray stays gray everywhere. */
export function grayRgb(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.tile(toLuma(rgb), [1, 1, 1, 3]));
}

/** Checks a {@link ModelImage}'s tensors. @throws PipelineInputError if they do not fit together. */
export function checkModelImage(image: ModelImage): void {
  const { rgb, alpha } = image;
  if (rgb.rank !== 4 || rgb.shape[3] !== 3) {
    throw new PipelineInputError(`ModelImage.rgb must be NHWC [N, H, W, 3] in [-1, 1]; got [${rgb.shape.join(', ')}].`);
  }
  if (alpha !== undefined && (alpha.rank !== 4 || alpha.shape[3] !== 1 || alpha.shape.slice(0, 3).join() !== rgb.shape.slice(0, 3).join())) {
    throw new PipelineInputError(
      `ModelImage.alpha must be [${rgb.shape.slice(0, 3).join(', ')}, 1] to match rgb; got [${alpha.shape.join(', ')}].`,
    );
  }
}
