import type { RawImage } from '@yonos/core';

/**
 * A small opaque 8-bit RGB test image with smooth gradients, an edge and fine texture (what
 * super-resolution works on), from integer arithmetic only, so it is the same everywhere.
 */
export function testImage(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      const hash = ((x * 73856093) ^ (y * 19349663)) >>> 0;
      data[i] = Math.round(40 + (180 * x) / Math.max(1, width - 1));
      data[i + 1] = x + y < (width + height) / 2 ? 60 : 200;
      data[i + 2] = 100 + (hash % 61);
    }
  }
  return { data, width, height, channels: 3, bitDepth: 8 };
}

/** Drops the alpha channel of 8-bit RGBA pixels (a canvas's), giving interleaved RGB. */
export function rgbaToRgb(rgba: ArrayLike<number>): Uint8Array {
  const n = rgba.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    rgb[3 * p] = rgba[4 * p]!;
    rgb[3 * p + 1] = rgba[4 * p + 1]!;
    rgb[3 * p + 2] = rgba[4 * p + 2]!;
  }
  return rgb;
}
