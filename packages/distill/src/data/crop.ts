import type { RawImage, Rng } from '@yonos/core';

/** Where and how one training crop is cut (BasicSR's `augment` order: hflip, vflip, then transpose). */
export interface CropParams {
  /** Top row of the window in the source image. */
  readonly top: number;
  /** Left column of the window. */
  readonly left: number;
  /** Side of the square window. */
  readonly size: number;
  /** Mirror left-right. */
  readonly hflip: boolean;
  /** Mirror top-bottom. */
  readonly vflip: boolean;
  /** Swap rows and columns (with the flips, all 8 rotations/reflections). */
  readonly transpose: boolean;
}

/** Which augmentations a crop may draw, each with probability 1/2. */
export interface AugmentOptions {
  /** Random left-right mirror (default `true`). */
  readonly hflip?: boolean;
  /** Random top-bottom mirror (default `false`). */
  readonly vflip?: boolean;
  /** Random transpose, giving 90-degree rotations with the flips (default `false`). */
  readonly rot90?: boolean;
}

/**
 * Draws a square crop window uniformly over an image of `width x height` and the enabled
 * flips. Always consumes the same draws in the same order (top, left, then one per flip
 * option), so the stream is a function of the generator's seed alone.
 * @throws RangeError (from `nextInt`) if the image is smaller than `size`; check first.
 */
export function drawCropParams(rng: Rng, width: number, height: number, size: number, augment: AugmentOptions = {}): CropParams {
  const top = rng.nextInt(0, height - size);
  const left = rng.nextInt(0, width - size);
  const hflip = (augment.hflip ?? true) ? rng.nextFloat() < 0.5 : false;
  const vflip = (augment.vflip ?? false) ? rng.nextFloat() < 0.5 : false;
  const transpose = (augment.rot90 ?? false) ? rng.nextFloat() < 0.5 : false;
  return { top, left, size, hflip, vflip, transpose };
}

/**
 * Cuts a crop out of integer pixels into `out` at `offset`: HWC RGB float32 in `[0, 1]`
 * (`v / (2^bits - 1)`), gray replicated, alpha dropped; `size * size * 3` values.
 */
export function cropInto(raw: RawImage, params: CropParams, out: Float32Array, offset: number): void {
  const { width, channels, data } = raw;
  const scale = 1 / (raw.bitDepth === 16 ? 65535 : 255);
  const gray = channels <= 2;
  const { top, left, size, hflip, vflip, transpose } = params;
  let o = offset;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r0 = transpose ? x : y;
      const c0 = transpose ? y : x;
      const r = top + (vflip ? size - 1 - r0 : r0);
      const c = left + (hflip ? size - 1 - c0 : c0);
      const p = (r * width + c) * channels;
      for (let k = 0; k < 3; k++) out[o++] = data[p + (gray ? 0 : k)]! * scale;
    }
  }
}

/** A rectangle of an image, in pixels (see {@link centerCropWindow}). */
export interface CropWindow {
  /** Top row in the source image. */
  top: number;
  /** Left column in the source image. */
  left: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/**
 * The largest centered window whose sides are multiples of `multiple` (and at most
 * `maxSize` when given), for validation images.
 * @returns `undefined` if the image is smaller than `multiple`.
 */
export function centerCropWindow(
  width: number,
  height: number,
  multiple: number,
  maxSize?: number,
): CropWindow | undefined {
  const limit = (v: number): number => Math.floor(Math.min(v, maxSize ?? v) / multiple) * multiple;
  const w = limit(width);
  const h = limit(height);
  if (w <= 0 || h <= 0) return undefined;
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), width: w, height: h };
}

/**
 * A rectangle of integer pixels as HWC RGB float32 in `[0, 1]` (gray replicated, alpha
 * dropped): `width * height * 3` values.
 */
export function rectToRgb(raw: RawImage, top: number, left: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height * 3);
  const scale = 1 / (raw.bitDepth === 16 ? 65535 : 255);
  const gray = raw.channels <= 2;
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = ((top + y) * raw.width + left + x) * raw.channels;
      for (let k = 0; k < 3; k++) out[o++] = raw.data[p + (gray ? 0 : k)]! * scale;
    }
  }
  return out;
}
