import type { UsmSharpOptions } from '../filter/usm-sharp.js';
import type { BlurKernelOptions, FinalSincOptions, ValueRange } from '../kernels/random.js';
import type { TorchResizeMode } from '../resize/torch-weights.js';

/** Probabilities of enlarging, shrinking and keeping the size in a random resize. */
export type ResizeProb = readonly [up: number, down: number, keep: number];

/**
 * Every knob of Real-ESRGAN's second-order degradation, named after the keys of
 * `options/train_realesrgan_x4plus.yml` (camelCase) and defaulting to its values.
 */
export interface RealESRGANOptions {
  /** USM-sharpen the HR image before degrading it (Real-ESRGAN degrades `gt_usm`); `false` to skip. Default `true`. */
  readonly sharpenInput?: boolean | UsmSharpOptions;
  /** First blur kernel (`kernel_list`, `kernel_prob`, `blur_sigma` [0.2, 3], `betag_range` [0.5, 4], `betap_range` [1, 2], `sinc_prob` 0.1). */
  readonly kernel1?: BlurKernelOptions;
  /** Second blur kernel (same, with `blur_sigma2` [0.2, 1.5]). */
  readonly kernel2?: BlurKernelOptions;
  /** Final sinc kernel (`final_sinc_prob` 0.8). */
  readonly finalSinc?: FinalSincOptions;
  /** Interpolation modes a random resize picks from uniformly. Default area, bilinear, bicubic. */
  readonly resizeModes?: readonly TorchResizeMode[];

  /** Default [0.2, 0.7, 0.1]. */
  readonly resizeProb?: ResizeProb;
  /** Factor range: shrink uses `[min, 1]`, enlarge `[1, max]`. Default [0.15, 1.5]. */
  readonly resizeRange?: ValueRange;
  /** Probability of Gaussian (else Poisson) noise. Default 0.5. */
  readonly gaussianNoiseProb?: number;
  /** Gaussian sigma range in 8-bit levels. Default [1, 30]. */
  readonly noiseRange?: ValueRange;
  /** Poisson scale range. Default [0.05, 3]. */
  readonly poissonScaleRange?: ValueRange;
  /** Probability of gray (channel-shared) noise. Default 0.4. */
  readonly grayNoiseProb?: number;
  /** JPEG quality range. Default [30, 95]. */
  readonly jpegRange?: ValueRange;

  /** Probability of applying the second blur. Default 0.8. */
  readonly secondBlurProb?: number;
  /** Default [0.3, 0.4, 0.3]. */
  readonly resizeProb2?: ResizeProb;
  /** Default [0.3, 1.2]. */
  readonly resizeRange2?: ValueRange;
  /** Default 0.5. */
  readonly gaussianNoiseProb2?: number;
  /** Default [1, 25]. */
  readonly noiseRange2?: ValueRange;
  /** Default [0.05, 2.5]. */
  readonly poissonScaleRange2?: ValueRange;
  /** Default 0.4. */
  readonly grayNoiseProb2?: number;
  /** Default [30, 95]. */
  readonly jpegRange2?: ValueRange;
  /** Probability of "resize back + sinc, then JPEG" (else "JPEG, then resize back + sinc"). Default 0.5. */
  readonly sincBeforeJpegProb?: number;
}

/** {@link RealESRGANOptions} with every default filled in. */
export type ResolvedRealESRGANOptions = {
  readonly [K in keyof RealESRGANOptions]-?: Exclude<RealESRGANOptions[K], undefined>;
};

/** Real-ESRGAN's published settings (`train_realesrgan_x4plus.yml`). */
export const REALESRGAN_DEFAULTS: ResolvedRealESRGANOptions = {
  sharpenInput: true,
  kernel1: { sigmaXRange: [0.2, 3], sigmaYRange: [0.2, 3], betagRange: [0.5, 4], betapRange: [1, 2], sincProb: 0.1 },
  kernel2: { sigmaXRange: [0.2, 1.5], sigmaYRange: [0.2, 1.5], betagRange: [0.5, 4], betapRange: [1, 2], sincProb: 0.1 },
  finalSinc: { finalSincProb: 0.8 },
  resizeModes: ['area', 'bilinear', 'bicubic'],
  resizeProb: [0.2, 0.7, 0.1],
  resizeRange: [0.15, 1.5],
  gaussianNoiseProb: 0.5,
  noiseRange: [1, 30],
  poissonScaleRange: [0.05, 3],
  grayNoiseProb: 0.4,
  jpegRange: [30, 95],
  secondBlurProb: 0.8,
  resizeProb2: [0.3, 0.4, 0.3],
  resizeRange2: [0.3, 1.2],
  gaussianNoiseProb2: 0.5,
  noiseRange2: [1, 25],
  poissonScaleRange2: [0.05, 2.5],
  grayNoiseProb2: 0.4,
  jpegRange2: [30, 95],
  sincBeforeJpegProb: 0.5,
};
