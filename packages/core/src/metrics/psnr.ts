import type { Float64Image, MetricHostImage, MetricInput } from './host-image.js';
import { readHostPair, readPair } from './options.js';
import type { MetricOptions } from './options.js';

function psnrOf(a: Float64Image, b: Float64Image): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    sum += d * d;
  }
  const mse = sum / a.data.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

/**
 * PSNR in dB of two images in `[0, 255]`, exactly as BasicSR's `calculate_psnr`: crop
 * `cropBorder` pixels per edge, optionally keep the BT.601 Y channel, then
 * `10 log10(255^2 / MSE)` in float64 over all pixels and channels.
 *
 * @param sr - the restored image: tensor `[H, W]`, `[H, W, C]` or `[1, H, W, C]`, or a host image; values in `[0, 255]`.
 * @param hr - the reference image, same shape.
 * @returns PSNR in dB, `Infinity` when the images are identical.
 * @throws {@link MetricError} if the shapes differ or the crop leaves nothing.
 */
export async function psnr(sr: MetricInput, hr: MetricInput, options: MetricOptions = {}): Promise<number> {
  return psnrOf(...(await readPair(sr, hr, options)));
}

/** Synchronous {@link psnr} of two host images (interleaved HWC, values in `[0, 255]`). */
export function psnrHost(sr: MetricHostImage, hr: MetricHostImage, options: MetricOptions = {}): number {
  return psnrOf(...readHostPair(sr, hr, options));
}
