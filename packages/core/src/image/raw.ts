import * as tf from '@tensorflow/tfjs-core';
import { ImageError } from './errors.js';
import type { BitDepth, ChannelCount, ModelImage, RawImage } from './types.js';

/** Options of {@link fromRawImage}. */
export interface FromRawOptions {
  /** Leave `alpha` out when every pixel is fully opaque (default false: keep the channel layout). */
  readonly dropOpaqueAlpha?: boolean;
}

/** Options of {@link toRawImage}. */
export interface ToRawOptions {
  /** Bit depth to write (default: `image.bitDepth`, else 8). */
  readonly bitDepth?: BitDepth;
  /**
   * Write one gray channel (default: `image.wasGray`). Gray is the BT.601 luma
   * `0.299 R + 0.587 G + 0.114 B`, which returns a replicated gray value unchanged.
   */
  readonly gray?: boolean;
  /** Write the alpha channel if the image has one (default true). */
  readonly alpha?: boolean;
}

/** Checks a raw image's fields against each other; throws {@link ImageError} saying what is wrong. */
export function validateRawImage(raw: RawImage): void {
  const { width, height, channels, bitDepth, data } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError(`Image size ${width}x${height} is invalid: width and height must be positive integers.`);
  }
  if (![1, 2, 3, 4].includes(channels)) {
    throw new ImageError(`Image has ${channels} channels: pass 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA).`);
  }
  if (bitDepth !== 8 && bitDepth !== 16) {
    throw new ImageError(`Bit depth ${bitDepth} is not supported: pass 8 or 16.`);
  }
  const typeOk = bitDepth === 8 ? data instanceof Uint8Array || data instanceof Uint8ClampedArray : data instanceof Uint16Array;
  if (!typeOk) {
    throw new ImageError(
      `A ${bitDepth}-bit image needs ${bitDepth === 8 ? 'a Uint8Array or Uint8ClampedArray' : 'a Uint16Array'}, got ${data?.constructor?.name}.`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new ImageError(
      `Image data has ${data.length} values but ${width}x${height}x${channels} needs ${width * height * channels}: pass interleaved HWC pixels.`,
    );
  }
}

/**
 * Converts integer pixels to model tensors: color to NHWC `[1, H, W, 3]` float32 in `[-1, 1]`
 * (`v / max * 2 - 1`, `max = 2^bitDepth - 1`), gray replicated to RGB, and alpha kept aside as
 * `[1, H, W, 1]` float32 in `[0, 1]`. Scaling happens on the host, so every backend gets the
 * same numbers. The caller disposes the tensors.
 *
 * @throws {@link ImageError} if the raw image is inconsistent.
 */
export function fromRawImage(raw: RawImage, options: FromRawOptions = {}): ModelImage {
  validateRawImage(raw);
  const { width, height, channels, bitDepth, data } = raw;
  const max = bitDepth === 8 ? 255 : 65535;
  const n = width * height;
  const gray = channels <= 2;
  const hasAlpha = channels === 2 || channels === 4;
  const rgb = new Float32Array(n * 3);
  const alpha = hasAlpha ? new Float32Array(n) : undefined;
  let opaque = true;
  for (let p = 0; p < n; p++) {
    const src = p * channels;
    for (let c = 0; c < 3; c++) {
      rgb[3 * p + c] = (data[src + (gray ? 0 : c)]! / max) * 2 - 1;
    }
    if (alpha) {
      const a = data[src + channels - 1]!;
      alpha[p] = a / max;
      if (a !== max) opaque = false;
    }
  }
  const keepAlpha = alpha !== undefined && !(options.dropOpaqueAlpha && opaque);
  return {
    rgb: tf.tensor4d(rgb, [1, height, width, 3], 'float32'),
    ...(keepAlpha ? { alpha: tf.tensor4d(alpha, [1, height, width, 1], 'float32') } : {}),
    wasGray: gray,
    bitDepth,
  };
}

function checkTensor(t: tf.Tensor, name: string, channels: number): [number, number] {
  const s = t.shape;
  if (s.length !== 4 || s[0] !== 1 || s[3] !== channels) {
    throw new ImageError(`${name} has shape [${s.join(', ')}]: expected [1, H, W, ${channels}] (one NHWC image).`);
  }
  return [s[1]!, s[2]!];
}

/**
 * Converts model tensors back to integer pixels: `round((x + 1) / 2 * max)` clamped to
 * `[0, max]` (half rounds up, NaN becomes 0), alpha `round(a * max)`. Gray and bit depth
 * follow `image.wasGray` / `image.bitDepth` unless overridden. Does not dispose the tensors.
 *
 * @param image - `rgb` NHWC `[1, H, W, 3]` float32 in `[-1, 1]`; optional `alpha` `[1, H, W, 1]` in `[0, 1]`, same H and W.
 * @returns interleaved pixels with 1 to 4 channels (alpha last).
 * @throws {@link ImageError} if the shapes do not match.
 */
export async function toRawImage(
  image: Pick<ModelImage, 'rgb'> & Partial<Pick<ModelImage, 'alpha' | 'wasGray' | 'bitDepth'>>,
  options: ToRawOptions = {},
): Promise<RawImage> {
  const [height, width] = checkTensor(image.rgb, 'rgb', 3);
  const withAlpha = image.alpha !== undefined && options.alpha !== false;
  if (withAlpha) {
    const [ah, aw] = checkTensor(image.alpha!, 'alpha', 1);
    if (ah !== height || aw !== width) {
      throw new ImageError(`alpha is ${ah}x${aw} but rgb is ${height}x${width}: resize the alpha to the image size first.`);
    }
  }
  const bitDepth = options.bitDepth ?? image.bitDepth ?? 8;
  if (bitDepth !== 8 && bitDepth !== 16) {
    throw new ImageError(`Bit depth ${bitDepth} is not supported: pass 8 or 16.`);
  }
  const gray = options.gray ?? image.wasGray ?? false;
  const max = bitDepth === 8 ? 255 : 65535;
  const rgb = await image.rgb.data();
  const alpha = withAlpha ? await image.alpha!.data() : undefined;
  const colorChannels = gray ? 1 : 3;
  const channels = (colorChannels + (alpha ? 1 : 0)) as ChannelCount;
  const n = width * height;
  const data = bitDepth === 8 ? new Uint8Array(n * channels) : new Uint16Array(n * channels);
  // Clamping with min/max turns NaN into NaN, which typed arrays store as 0.
  const quantize = (unit: number): number => Math.min(max, Math.max(0, Math.round(unit * max)));
  for (let p = 0; p < n; p++) {
    const dst = p * channels;
    const r = (rgb[3 * p]! + 1) / 2;
    const g = (rgb[3 * p + 1]! + 1) / 2;
    const b = (rgb[3 * p + 2]! + 1) / 2;
    if (gray) {
      data[dst] = quantize(0.299 * r + 0.587 * g + 0.114 * b);
    } else {
      data[dst] = quantize(r);
      data[dst + 1] = quantize(g);
      data[dst + 2] = quantize(b);
    }
    if (alpha) data[dst + colorChannels] = quantize(alpha[p]!);
  }
  return { data, width, height, channels, bitDepth };
}

/** Disposes the tensors of a {@link ModelImage}. */
export function disposeModelImage(image: ModelImage): void {
  image.rgb.dispose();
  image.alpha?.dispose();
}
