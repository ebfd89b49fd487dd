import { psnrHost, ssimHost } from '@yonos/core';
import type { RawImage } from '@yonos/core';

/** PSNR (dB) and SSIM of one SR image against its HR image. */
export interface PairScore {
  readonly psnr: number;
  readonly ssim: number;
}

/**
 * BasicSR's SR metrics as papers report them: Y channel (BT.601 luma, 16–235) of RGB images,
 * `scale` pixels cropped from every edge.
 * @param sr - 8-bit RGB, same size as `hr`.
 * @param hr - 8-bit RGB.
 */
export function scorePair(sr: RawImage, hr: RawImage, scale: number): PairScore {
  const host = (x: RawImage) => ({ data: x.data, width: x.width, height: x.height, channels: x.channels });
  const options = { cropBorder: scale, testYChannel: true, channelOrder: 'rgb' } as const;
  return { psnr: psnrHost(host(sr), host(hr), options), ssim: ssimHost(host(sr), host(hr), options) };
}

/** Arithmetic mean (the SR literature averages per-image PSNR, not MSE). */
export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
