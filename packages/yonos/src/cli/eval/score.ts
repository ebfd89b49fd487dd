import { basename } from 'node:path';
import { psnrHost, ssimHost, YonosError } from '@yonos/core';
import type { MetricHostImage, MetricOptions, RawImage } from '@yonos/core';
import { readImage } from '@yonos/core/node';

/** An SR image cannot be compared with its HR image (different sizes). */
export class EvalSizeError extends YonosError {}

/** PSNR (dB) and SSIM of one SR image against its HR image. */
export interface EvalScore {
  readonly psnr: number;
  readonly ssim: number;
}

/**
 * A decoded image as the metrics read it, the way BasicSR's scripts load images
 * (`cv2.imread` in color): 8-bit RGB, gray replicated to three channels, alpha dropped,
 * 16-bit values reduced with `round(v / 257)`. Values in `[0, 255]`.
 */
export function metricImage(raw: RawImage): MetricHostImage {
  const n = raw.width * raw.height;
  const data = new Uint8Array(n * 3);
  const gray = raw.channels <= 2;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const v = raw.data[p * raw.channels + (gray ? 0 : c)]!;
      data[3 * p + c] = raw.bitDepth === 8 ? v : Math.round(v / 257);
    }
  }
  return { data, width: raw.width, height: raw.height, channels: 3 };
}

/**
 * PSNR and SSIM of two image files with core's BasicSR-exact metrics.
 * @param options Crop border and Y channel (`testYChannel`, BT.601 luma of RGB) as in BasicSR.
 * @throws `ImageDecodeError` for an unreadable file; {@link EvalSizeError} when the sizes differ;
 *   `MetricError` when the crop leaves nothing.
 */
export async function scoreFiles(sr: string, hr: string, options: MetricOptions): Promise<EvalScore> {
  const [a, b] = await Promise.all([readImage(sr), readImage(hr)]);
  if (a.width !== b.width || a.height !== b.height) {
    throw new EvalSizeError(
      `the SR image '${basename(sr)}' is ${a.width}x${a.height} but the HR image is ${b.width}x${b.height}: compare images of the same size ` +
        '(yonos degrade crops HR images to a multiple of the scale; upscale its LR images).',
    );
  }
  const x = metricImage(a);
  const y = metricImage(b);
  return { psnr: psnrHost(x, y, options), ssim: ssimHost(x, y, options) };
}
