import { join } from 'node:path';
import type { RawImage } from '@yonos/core';
import { readImage } from '@yonos/core/node';
import { DatasetError, UnreadableImageError } from '../errors.js';
import type { UnusableImageError } from '../errors.js';
import { ByteLruCache } from './byte-cache.js';
import { listImageFiles } from './list-images.js';
import type { ListImagesOptions } from './list-images.js';

/** Options of {@link ImageFolder.open}. */
export interface ImageFolderOptions extends ListImagesOptions {
  /**
   * Keep decoded images in memory up to this many bytes (least recently used evicted);
   * default 0 (decode on every read). Decoded 8-bit RGB costs `3 * W * H` bytes.
   */
  readonly cacheBytes?: number;
}

/**
 * A folder of PNG/JPEG/WebP images (recursive, sorted by path for determinism), decoded on
 * demand with core's `readImage` (sharp). Files that fail to decode are remembered and
 * reported ({@link ImageFolder.problems}), not fatal: batch makers skip them. Node only.
 */
export class ImageFolder {
  /** The folder. */
  readonly root: string;
  /** Image paths relative to {@link ImageFolder.root}, `/`-separated, sorted by code point. */
  readonly files: readonly string[];
  readonly #cache: ByteLruCache<RawImage>;
  readonly #problems = new Map<string, UnusableImageError>();

  private constructor(root: string, files: readonly string[], cacheBytes: number) {
    this.root = root;
    this.files = Object.freeze([...files]);
    this.#cache = new ByteLruCache(cacheBytes);
  }

  /**
   * Lists the images under `root`.
   * @throws {@link DatasetError} if the folder cannot be read or holds no image.
   */
  static async open(root: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
    const cacheBytes = options.cacheBytes ?? 0;
    if (!(cacheBytes >= 0)) throw new DatasetError(`ImageFolder: cacheBytes must be >= 0, got ${cacheBytes}.`);
    const files = await listImageFiles(root, options);
    if (files.length === 0) {
      throw new DatasetError(
        `No images in ${root}: put .png, .jpg, .jpeg or .webp files there (subfolders are searched), or pass { extensions }.`,
      );
    }
    return new ImageFolder(root, files, cacheBytes);
  }

  /** Number of image files (including ones that turn out unreadable). */
  get length(): number {
    return this.files.length;
  }

  /** Files found unusable so far, by relative path, with the reason. */
  get problems(): ReadonlyMap<string, UnusableImageError> {
    return this.#problems;
  }

  /**
   * Decodes image `index` to integer pixels (EXIF orientation applied; 8 or 16 bits; 1-4
   * channels as stored). The result may be shared with the cache: do not modify it.
   * @throws {@link UnreadableImageError} if it cannot be decoded (and remembers that).
   * @throws {@link DatasetError} for an index out of range.
   */
  async read(index: number): Promise<RawImage> {
    const file = this.#file(index);
    const cached = this.#cache.get(file);
    if (cached !== undefined) return cached;
    const raw = await this.#decode(file);
    this.#cache.set(file, raw, raw.data.byteLength);
    return raw;
  }

  /**
   * Decodes every file once (bypassing the cache) and returns the problems found, so a run
   * can refuse a broken dataset up front instead of skipping files as it meets them.
   */
  async check(): Promise<UnusableImageError[]> {
    for (const file of this.files) {
      if (!this.#problems.has(file)) await this.#decode(file).catch(() => undefined);
    }
    return [...this.#problems.values()];
  }

  #file(index: number): string {
    const file = Number.isInteger(index) ? this.files[index] : undefined;
    if (file === undefined) throw new DatasetError(`ImageFolder: index ${index} is outside [0, ${this.files.length}).`);
    return file;
  }

  async #decode(file: string): Promise<RawImage> {
    const known = this.#problems.get(file);
    if (known !== undefined) throw known;
    try {
      return await readImage(join(this.root, file));
    } catch (cause) {
      const error = new UnreadableImageError(
        `Skipping ${file} in ${this.root}: ${(cause as Error).message} Replace or delete the file.`,
        file,
        { cause },
      );
      this.#problems.set(file, error);
      throw error;
    }
  }
}
