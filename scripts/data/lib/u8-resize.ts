import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '@yonos/core';
import type { ImageSize, RawImage } from '@yonos/core';
import { DataScriptError } from './errors.js';

/**
 * MATLAB `imresize(uint8_img, scale)` for an 8-bit RGB image: core's MATLAB-compatible bicubic
 * (antialiased when shrinking) on the 0–255 values, then rounded and saturated to 0–255 as
 * MATLAB does for uint8 input. Runs on the active tfjs backend; leaks no tensor.
 *
 * @param image - 8-bit, 3-channel (RGB) pixels.
 * @param scale - a factor (output `ceil(H * scale) x ceil(W * scale)`) or an explicit size.
 * @returns 8-bit RGB pixels of the new size.
 * @throws {@link DataScriptError} if `image` is not 8-bit RGB.
 */
export async function resizeU8(image: RawImage, scale: number | ImageSize): Promise<RawImage> {
  if (image.bitDepth !== 8 || image.channels !== 3) {
    throw new DataScriptError(`resizeU8 needs 8-bit RGB pixels, got ${image.bitDepth}-bit with ${image.channels} channels: convert to RGB first.`);
  }
  const out = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(image.data), [1, image.height, image.width, 3], 'float32');
    return tf.clipByValue(tf.round(imresize(x, scale)), 0, 255);
  });
  try {
    const [, height, width] = out.shape;
    return { data: Uint8Array.from(await out.data()), width: width!, height: height!, channels: 3, bitDepth: 8 };
  } finally {
    out.dispose();
  }
}

/**
 * An 8-bit image as RGB: gray (and gray + alpha) replicated to three channels, alpha dropped
 * (the eval sources are opaque). Returns the input itself when it already is 8-bit RGB.
 * @throws {@link DataScriptError} for 16-bit images.
 */
export function toRgb8(image: RawImage): RawImage {
  if (image.bitDepth !== 8) throw new DataScriptError(`Expected an 8-bit image, got ${image.bitDepth}-bit.`);
  if (image.channels === 3) return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n * 3);
  const gray = image.channels <= 2;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) data[3 * p + c] = image.data[p * image.channels + (gray ? 0 : c)]!;
  }
  return { data, width: image.width, height: image.height, channels: 3, bitDepth: 8 };
}

/** Copies the `size.width x size.height` window at (`left`, `top`) of an 8-bit RGB image. */
export function cropRgb8(image: RawImage, left: number, top: number, size: ImageSize): RawImage {
  if (left < 0 || top < 0 || left + size.width > image.width || top + size.height > image.height) {
    throw new DataScriptError(
      `Crop ${size.width}x${size.height}+${left}+${top} does not fit in a ${image.width}x${image.height} image: pick a smaller --size or another offset.`,
    );
  }
  const data = new Uint8Array(size.width * size.height * 3);
  for (let y = 0; y < size.height; y++) {
    const start = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(start, start + size.width * 3), y * size.width * 3);
  }
  return { data, width: size.width, height: size.height, channels: 3, bitDepth: 8 };
}
