import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@yonos/core';
import type { RawImage, Rng } from '@yonos/core';
import { DatasetError, ImageTooSmallError, UnusableImageError } from '../errors.js';
import { cropInto, drawCropParams } from './crop.js';
import type { AugmentOptions, CropParams } from './crop.js';
import type { ImageFolder } from './image-folder.js';
import { SampleOrder } from './sample-order.js';

/** Options of {@link RandomCropBatches}. */
export interface RandomCropOptions extends AugmentOptions {
  /** Images per batch. */
  readonly batchSize: number;
  /** Side of the square crops, a multiple of {@link RandomCropOptions.sizeMultiple}. */
  readonly cropSize: number;
  /** Crops must be multiples of this (default 8: the VAE's downsampling). */
  readonly sizeMultiple?: number;
  /** Seed of the sample order and the crops (a generator is only forked, never advanced). */
  readonly seed: number | bigint | string | Rng;
  /** Called once per file that is skipped (unreadable or too small). Must not throw. */
  readonly onSkip?: (error: UnusableImageError) => void;
}

/** One drawn sample: which file, and where it was cut. */
export interface CropSample {
  /** Index into the folder's files. */
  readonly index: number;
  /** The file, relative to the folder. */
  readonly file: string;
  /** The crop window in the image and the flips drawn for it. */
  readonly params: CropParams;
}

/** A {@link CropSample} with its decoded image (see {@link RandomCropBatches.sample}). */
export interface LoadedCropSample extends CropSample {
  /** The whole decoded source image (integer pixels, HWC; may be cached: do not modify). */
  readonly raw: RawImage;
}

/**
 * Batches of random square crops with random flips from an {@link ImageFolder}, NHWC
 * float32 in `[0, 1]`. Batch `i` is a pure function of (seed, i, the files): it holds global
 * samples `i * batchSize ... + batchSize - 1` in the {@link SampleOrder}, each cropped with
 * draws from `fork('sample:' + k)`. A run that resumes at step `s` asks for the same batch
 * indices and gets the same pixels. Unusable files (undecodable, smaller than the crop) are
 * skipped in favor of the next file of the same epoch order, deterministically, and reported
 * through `onSkip`.
 */
export class RandomCropBatches {
  /** The images crops are cut from (shared, not owned). */
  readonly dataset: ImageFolder;
  /** Crops per batch, the `N` of each batch. */
  readonly batchSize: number;
  /** Side of the square crops in pixels, a multiple of the options' `sizeMultiple`. */
  readonly cropSize: number;
  readonly #augment: AugmentOptions;
  readonly #root: Rng;
  readonly #order: SampleOrder;
  readonly #onSkip: ((error: UnusableImageError) => void) | undefined;
  // Too small for this crop size only: kept here, not in the dataset, which other crop sizes share.
  readonly #tooSmall = new Set<string>();
  readonly #reported = new Set<string>();

  /** @throws {@link DatasetError} for a non-positive batch size or a crop size that is not a positive multiple. */
  constructor(dataset: ImageFolder, options: RandomCropOptions) {
    const multiple = options.sizeMultiple ?? 8;
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new DatasetError(`RandomCropBatches: batchSize must be a positive integer, got ${options.batchSize}.`);
    }
    if (!Number.isInteger(multiple) || multiple < 1 || !Number.isInteger(options.cropSize) || options.cropSize < multiple || options.cropSize % multiple !== 0) {
      throw new DatasetError(
        `RandomCropBatches: cropSize must be a positive multiple of ${multiple} (the latent downsampling), got ${options.cropSize}.`,
      );
    }
    this.dataset = dataset;
    this.batchSize = options.batchSize;
    this.cropSize = options.cropSize;
    this.#augment = { hflip: options.hflip ?? true, vflip: options.vflip ?? false, rot90: options.rot90 ?? false };
    this.#root = typeof options.seed === 'object' ? options.seed : createRng(options.seed);
    this.#order = new SampleOrder(this.#root.fork('order'), dataset.length);
    this.#onSkip = options.onSkip;
  }

  /** The sample order (for inspection: which file global sample `k` starts from). */
  get order(): SampleOrder {
    return this.#order;
  }

  /**
   * Global sample `k`: the file it uses and its crop. Skips unusable files as described above.
   * @throws {@link DatasetError} if no file of the dataset is usable.
   */
  async sample(k: number): Promise<LoadedCropSample> {
    if (!Number.isInteger(k) || k < 0) throw new DatasetError(`RandomCropBatches: sample index must be a non-negative integer, got ${k}.`);
    const n = this.dataset.length;
    for (let j = 0; j < n; j++) {
      const index = this.#order.itemAfter(k, j);
      const file = this.dataset.files[index]!;
      const known = this.dataset.problems.get(file);
      if (known !== undefined || this.#tooSmall.has(file)) {
        if (known !== undefined) this.#report(known);
        continue;
      }
      let raw: RawImage;
      try {
        raw = await this.dataset.read(index);
      } catch (error) {
        if (!(error instanceof UnusableImageError)) throw error;
        this.#report(error);
        continue;
      }
      if (raw.width < this.cropSize || raw.height < this.cropSize) {
        this.#tooSmall.add(file);
        this.#report(
          new ImageTooSmallError(
            `Skipping ${file}: ${raw.width}x${raw.height} is smaller than the ${this.cropSize}px crop; use larger images or a smaller cropSize.`,
            file,
          ),
        );
        continue;
      }
      const params = drawCropParams(this.#root.fork(`sample:${k}`), raw.width, raw.height, this.cropSize, this.#augment);
      return { index, file, params, raw };
    }
    throw new DatasetError(
      `No usable image in ${this.dataset.root}: all ${n} files are unreadable or smaller than ${this.cropSize}px; add larger images or lower cropSize.`,
    );
  }

  #report(error: UnusableImageError): void {
    if (this.#reported.has(error.file)) return;
    this.#reported.add(error.file);
    try {
      this.#onSkip?.(error);
    } catch {
      // A reporting callback must not change which samples are drawn.
    }
  }

  /**
   * Batch `i` (0-based; a training loop passes its micro-batch counter).
   * @returns NHWC `[batchSize, cropSize, cropSize, 3]`, float32 in `[0, 1]`; the caller disposes it.
   * @throws {@link DatasetError} if no file is usable.
   */
  async batch(i: number): Promise<tf.Tensor4D> {
    if (!Number.isInteger(i) || i < 0) throw new DatasetError(`RandomCropBatches: batch index must be a non-negative integer, got ${i}.`);
    const s = this.cropSize;
    const per = s * s * 3;
    const out = new Float32Array(this.batchSize * per);
    for (let b = 0; b < this.batchSize; b++) {
      const { raw, params } = await this.sample(i * this.batchSize + b);
      cropInto(raw, params, out, b * per);
    }
    return tf.tensor4d(out, [this.batchSize, s, s, 3], 'float32');
  }
}
