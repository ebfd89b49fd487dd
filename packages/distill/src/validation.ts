import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { imresize, psnrHost, ssimHost } from '@yonos/core';
import type { MetricHostImage } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import { centerCropWindow, rectToRgb } from './data/crop.js';
import type { ImageFolder } from './data/image-folder.js';
import { TrainingArgumentError, UnusableImageError } from './errors.js';
import { checkScale } from './stages/checks.js';

/** Options of {@link validateSuperResolution}. */
export interface ValidateSrOptions {
  /** Held-out high-resolution images. */
  readonly dataset: ImageFolder;
  /** Upscaling factor (2, 4, 8...). */
  readonly scale: number;
  /**
   * The model under test.
   * @param lr NHWC `[1, h, w, 3]`, float32 in `[0, 1]` (not disposed by the callee).
   * @returns NHWC `[1, h * scale, w * scale, 3]`, nominally in `[0, 1]` (clamped here); disposed here.
   */
  readonly predict: (lr: tf.Tensor4D) => tf.Tensor4D | Promise<tf.Tensor4D>;
  /**
   * Makes the input from the HR crop, NHWC `[1, H, W, 3]` in `[0, 1]` -> `[1, H/scale, W/scale, 3]`.
   * Default: MATLAB bicubic (core's `imresize`), as SR benchmarks make their LR images.
   */
  readonly degrade?: (hr: tf.Tensor4D) => tf.Tensor4D;
  /** Round the LR input to 8 bits, as if read from a PNG (default `true`). */
  readonly quantizeInput?: boolean;
  /** HR crops are centered, with sides multiples of this (default `lcm(scale, 8)`). */
  readonly sizeMultiple?: number;
  /** Largest HR crop side (default: whole image), to keep validation cheap. */
  readonly maxSize?: number;
  /** Validate at most this many images, in folder order (default all). */
  readonly maxImages?: number;
  /** Pixels cropped per edge before measuring (default `scale`, the SR convention). */
  readonly cropBorder?: number;
  /** Measure on the BT.601 Y channel (default `false`). */
  readonly testYChannel?: boolean;
  /** Write the first `sampleCount` SR results as PNGs here (`<file path with / as __>.png`). */
  readonly samplesDir?: string;
  /** Samples written when `samplesDir` is set (default 4). */
  readonly sampleCount?: number;
}

/** One validated image. */
export interface ValidatedImage {
  /** Path of the image relative to the dataset folder, `/`-separated (as in `ImageFolder.files`). */
  readonly file: string;
  /** PSNR in dB of the 8-bit SR result against the HR crop (`Infinity` if identical). */
  readonly psnr: number;
  /** SSIM of the 8-bit SR result against the HR crop, at most 1. */
  readonly ssim: number;
}

/** Result of {@link validateSuperResolution}. */
export interface ValidationResult {
  /** Mean PSNR in dB over the images (`Infinity` terms count as-is). */
  readonly psnr: number;
  /** Mean SSIM. */
  readonly ssim: number;
  /** Images measured. */
  readonly count: number;
  /** Per-image scores, in folder order (`count` entries). */
  readonly images: readonly ValidatedImage[];
  /** Files that could not be used (unreadable or smaller than `sizeMultiple`). */
  readonly skipped: readonly UnusableImageError[];
  /** Sample PNGs written. */
  readonly samples: readonly string[];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Float32 `[0, 1]` values -> integer `[0, 255]` (BasicSR's `tensor2img`: clamp, scale, round). */
function toUint8(values: Float32Array | Uint8Array | Int32Array | Float64Array | ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, values[i]!)) * 255);
  return out;
}

/**
 * Super-resolution validation on a held-out folder: for each image, a centered HR crop, its
 * degraded LR version, the model's prediction; PSNR and SSIM with core's BasicSR-exact
 * metrics on 8-bit values (`cropBorder` = scale by default); optional sample PNGs. Reads
 * results with `await data()`, so it works on every backend; leak-free.
 * @throws {@link TrainingArgumentError} for a bad scale or option.
 */
export async function validateSuperResolution(options: ValidateSrOptions): Promise<ValidationResult> {
  const { dataset, scale, predict } = options;
  checkScale(scale, 1, 'validateSuperResolution');
  const multiple = options.sizeMultiple ?? (scale * 8) / gcd(scale, 8);
  if (!Number.isInteger(multiple) || multiple % scale !== 0) {
    throw new TrainingArgumentError(`validateSuperResolution: sizeMultiple must be a multiple of the scale ${scale}, got ${multiple}.`);
  }
  const degrade = options.degrade ?? ((hr: tf.Tensor4D) => imresize(hr, 1 / scale));
  const quantize = options.quantizeInput ?? true;
  const metricOptions = { cropBorder: options.cropBorder ?? scale, testYChannel: options.testYChannel ?? false };
  const sampleCount = options.samplesDir === undefined ? 0 : (options.sampleCount ?? 4);
  if (options.samplesDir !== undefined) await mkdir(options.samplesDir, { recursive: true });

  const images: ValidatedImage[] = [];
  const skipped: UnusableImageError[] = [];
  const samples: string[] = [];
  const limit = Math.min(dataset.length, options.maxImages ?? dataset.length);
  for (let i = 0; i < limit; i++) {
    const file = dataset.files[i]!;
    let raw;
    try {
      raw = await dataset.read(i);
    } catch (error) {
      if (error instanceof UnusableImageError) {
        skipped.push(error);
        continue;
      }
      throw error;
    }
    const window = centerCropWindow(raw.width, raw.height, multiple, options.maxSize);
    if (window === undefined) {
      skipped.push(new UnusableImageError(`Skipping ${file}: ${raw.width}x${raw.height} is smaller than ${multiple}px.`, file));
      continue;
    }
    const { width, height } = window;
    const hrValues = rectToRgb(raw, window.top, window.left, width, height);
    const lr = tf.tidy(() => {
      const hr = tf.tensor4d(hrValues, [1, height, width, 3]);
      const down = tf.clipByValue(degrade(hr), 0, 1);
      return (quantize ? tf.div(tf.round(tf.mul(down, 255)), 255) : down) as tf.Tensor4D;
    });
    let srValues: Float32Array;
    try {
      const sr = await predict(lr);
      try {
        if (sr.shape[1] !== height || sr.shape[2] !== width || sr.shape[3] !== 3) {
          throw new TrainingArgumentError(
            `validateSuperResolution: predict returned [${sr.shape.join(', ')}] for an LR of [${lr.shape.join(', ')}]; expected [1, ${height}, ${width}, 3].`,
          );
        }
        srValues = (await sr.data()) as Float32Array;
      } finally {
        sr.dispose();
      }
    } finally {
      lr.dispose();
    }
    const srImage: MetricHostImage = { data: toUint8(srValues), height, width, channels: 3 };
    const hrImage: MetricHostImage = { data: toUint8(hrValues), height, width, channels: 3 };
    images.push({ file, psnr: psnrHost(srImage, hrImage, metricOptions), ssim: ssimHost(srImage, hrImage, metricOptions) });
    if (samples.length < sampleCount) {
      const path = join(options.samplesDir!, `${file.replace(/\.[^./]+$/, '').split('/').join('__')}.png`);
      await writeImage(path, { data: srImage.data as Uint8Array, width, height, channels: 3, bitDepth: 8 });
      samples.push(path);
    }
  }
  const mean = (f: (r: ValidatedImage) => number): number =>
    images.length === 0 ? Number.NaN : images.reduce((s, r) => s + f(r), 0) / images.length;
  return { psnr: mean((r) => r.psnr), ssim: mean((r) => r.ssim), count: images.length, images, skipped, samples };
}
