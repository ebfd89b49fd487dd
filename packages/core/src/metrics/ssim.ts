import { MetricError } from './errors.js';
import type { Float64Image, MetricHostImage, MetricInput } from './host-image.js';
import { readHostPair, readPair } from './options.js';
import type { MetricOptions } from './options.js';

const WINDOW = 11;
const SIGMA = 1.5;
const HALF = (WINDOW - 1) / 2;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/** `cv2.getGaussianKernel(11, 1.5)`: float64 taps normalized to sum 1. */
function gaussianTaps(): Float64Array {
  const taps = new Float64Array(WINDOW);
  let sum = 0;
  for (let i = 0; i < WINDOW; i++) {
    const x = i - HALF;
    taps[i] = Math.exp((-0.5 / (SIGMA * SIGMA)) * x * x);
    sum += taps[i]!;
  }
  return taps.map((t) => t / sum);
}

const TAPS = gaussianTaps();

/**
 * The window `outer(k, k)` applied over the valid region (cv2.filter2D then `[5:-5, 5:-5]`),
 * done separably: same sums up to float64 rounding, 5x fewer operations.
 */
function filterValid(src: Float64Array, height: number, width: number): Float64Array {
  const oh = height - 2 * HALF;
  const ow = width - 2 * HALF;
  const rows = new Float64Array(height * ow);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += TAPS[k]! * src[y * width + x + k]!;
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += TAPS[k]! * rows[(y + k) * ow + x]!;
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** BasicSR `_ssim` of one channel: the mean of the SSIM map over the valid region. */
function ssimChannel(a: Float64Array, b: Float64Array, height: number, width: number): number {
  const n = height * width;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a[i]! * a[i]!;
    bb[i] = b[i]! * b[i]!;
    ab[i] = a[i]! * b[i]!;
  }
  const mu1 = filterValid(a, height, width);
  const mu2 = filterValid(b, height, width);
  const f11 = filterValid(aa, height, width);
  const f22 = filterValid(bb, height, width);
  const f12 = filterValid(ab, height, width);
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i]!;
    const m2 = mu2[i]!;
    const s1 = f11[i]! - m1 * m1;
    const s2 = f22[i]! - m2 * m2;
    const s12 = f12[i]! - m1 * m2;
    sum += ((2 * m1 * m2 + C1) * (2 * s12 + C2)) / ((m1 * m1 + m2 * m2 + C1) * (s1 + s2 + C2));
  }
  return sum / mu1.length;
}

function ssimOf(a: Float64Image, b: Float64Image): number {
  const { height, width, channels } = a;
  if (height < WINDOW || width < WINDOW) {
    throw new MetricError(
      `SSIM needs at least ${WINDOW}x${WINDOW} pixels after cropping, got ${height}x${width}: use larger images or a smaller cropBorder.`,
    );
  }
  const n = height * width;
  const ca = new Float64Array(n);
  const cb = new Float64Array(n);
  let total = 0;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < n; p++) {
      ca[p] = a.data[p * channels + c]!;
      cb[p] = b.data[p * channels + c]!;
    }
    total += ssimChannel(ca, cb, height, width);
  }
  return total / channels;
}

/**
 * SSIM of two images in `[0, 255]`, exactly as BasicSR's `calculate_ssim` (the MATLAB
 * reference of Wang et al.): crop, optional BT.601 Y channel, then per channel an 11x11
 * Gaussian window (sigma 1.5) over the valid region, `C1 = (0.01*255)^2`,
 * `C2 = (0.03*255)^2`, the map averaged, and the channels averaged; float64 throughout.
 *
 * @param sr - the restored image: tensor `[H, W]`, `[H, W, C]` or `[1, H, W, C]`, or a host image; values in `[0, 255]`.
 * @param hr - the reference image, same shape.
 * @returns SSIM, at most 1.
 * @throws {@link MetricError} if the shapes differ or fewer than 11x11 pixels remain.
 */
export async function ssim(sr: MetricInput, hr: MetricInput, options: MetricOptions = {}): Promise<number> {
  return ssimOf(...(await readPair(sr, hr, options)));
}

/** Synchronous {@link ssim} of two host images (interleaved HWC, values in `[0, 255]`). */
export function ssimHost(sr: MetricHostImage, hr: MetricHostImage, options: MetricOptions = {}): number {
  return ssimOf(...readHostPair(sr, hr, options));
}
