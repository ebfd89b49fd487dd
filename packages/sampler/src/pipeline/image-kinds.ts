import * as tf from '@tensorflow/tfjs-core';
import { disposeModelImage, fromRawImage, toRawImage } from '@yonos/core';
import type { ModelImage, RawImage } from '@yonos/core';
import { checkModelImage, grayRgb, isRawImage, mergeTensorImage, splitTensorImage, upscaleAlpha } from './image-io.js';

/** Super-resolves an NHWC RGB batch in `[-1, 1]`; the caller owns the result, the input is not disposed. */
export type RgbUpscaler = (rgb: tf.Tensor4D) => Promise<tf.Tensor4D>;

/**
 * Runs an RGB upscaler on an image of any kind the pipelines accept and returns the same kind:
 * a `RawImage` (converted to and from the model's range), a `ModelImage` (gray stays gray), or
 * an NHWC tensor with 1 to 4 channels in `[-1, 1]`. Alpha is upscaled by `scale` with the
 * MATLAB bicubic and clamped to its range. Inputs are not disposed; nothing leaks on errors.
 * @param scale The factor the upscaler enlarges by (for the alpha channel).
 */
export async function upscaleImageKinds(
  image: RawImage | ModelImage | tf.Tensor4D,
  scale: number,
  upscaleRgb: RgbUpscaler,
): Promise<RawImage | ModelImage | tf.Tensor4D> {
  if (image instanceof tf.Tensor) return upscaleTensor(image, scale, upscaleRgb);
  if (isRawImage(image)) {
    const model = fromRawImage(image);
    try {
      const out = await upscaleModelImage(model, scale, upscaleRgb);
      try {
        return await toRawImage(out);
      } finally {
        disposeModelImage(out);
      }
    } finally {
      disposeModelImage(model);
    }
  }
  return upscaleModelImage(image, scale, upscaleRgb);
}

async function upscaleTensor(image: tf.Tensor4D, scale: number, upscaleRgb: RgbUpscaler): Promise<tf.Tensor4D> {
  const parts = splitTensorImage(image);
  let alpha: tf.Tensor4D | undefined;
  let rgb: tf.Tensor4D | undefined;
  try {
    rgb = await upscaleRgb(parts.rgb);
    if (parts.alpha !== undefined) alpha = upscaleAlpha(parts.alpha, scale, [-1, 1]);
    return mergeTensorImage(rgb, alpha, parts.gray);
  } finally {
    tf.dispose([parts.rgb, parts.alpha, rgb, alpha].filter((t): t is tf.Tensor4D => t !== undefined));
  }
}

async function upscaleModelImage(image: ModelImage, scale: number, upscaleRgb: RgbUpscaler): Promise<ModelImage> {
  checkModelImage(image);
  const rgb = await upscaleRgb(image.rgb);
  let out = rgb;
  let alpha: tf.Tensor4D | undefined;
  try {
    if (image.wasGray) {
      out = grayRgb(rgb);
      rgb.dispose();
    }
    if (image.alpha !== undefined) alpha = upscaleAlpha(image.alpha, scale, [0, 1]);
    return { rgb: out, ...(alpha !== undefined ? { alpha } : {}), wasGray: image.wasGray, bitDepth: image.bitDepth };
  } catch (error) {
    tf.dispose([rgb, out, ...(alpha !== undefined ? [alpha] : [])]);
    throw error;
  }
}
