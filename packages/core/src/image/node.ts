/**
 * Node-only image files: decode and encode PNG, JPEG and WebP with `sharp`.
 * Exported from `@yonos/core/node`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import { ImageDecodeError, ImageEncodeError } from './errors.js';
import { fromRawImage, toRawImage, validateRawImage } from './raw.js';
import type { FromRawOptions, ToRawOptions } from './raw.js';
import type { BitDepth, ChannelCount, ModelImage, RawImage } from './types.js';

/** File formats {@link encodeImage} and {@link writeImage} can write. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** Options of {@link encodeImage} and {@link writeImage}. */
export interface WriteImageOptions extends ToRawOptions {
  /** Output format; {@link writeImage} infers it from the extension (.png, .jpg, .jpeg, .webp) when absent. */
  readonly format?: ImageFormat;
  /** JPEG / lossy WebP quality, an integer in 1..100 (default 95). */
  readonly quality?: number;
  /** WebP only: lossless compression (default false). */
  readonly lossless?: boolean;
  /** JPEG only: drop the alpha channel instead of failing (JPEG cannot store it). Default false. */
  readonly dropAlpha?: boolean;
}

function describe(source: string | Uint8Array): string {
  return typeof source === 'string' ? `'${source}'` : `<buffer of ${source.length} bytes>`;
}

function isModelImage(image: RawImage | ModelImage): image is ModelImage {
  return 'rgb' in image;
}

/**
 * Decodes an image (PNG, JPEG, WebP, or anything else sharp reads) to integer pixels,
 * EXIF orientation applied. 16-bit sources stay 16-bit, gray stays gray (1 or 2 channels),
 * alpha is kept as the last channel.
 *
 * @param source - a file path or the encoded bytes.
 * @throws {@link ImageDecodeError} if the file cannot be read or decoded; the message names it.
 */
export async function readImage(source: string | Uint8Array): Promise<RawImage> {
  const name = describe(source);
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? await readFile(source) : source;
  } catch (cause) {
    throw new ImageDecodeError(`Cannot read image file ${name}: ${(cause as Error).message}.`, { cause });
  }
  try {
    const meta = await sharp(bytes).metadata();
    // Deeper-than-8-bit sources (16-bit PNG, float TIFF...) are decoded to 16 bits.
    const sixteen = meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char';
    const gray = meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels ?? 3) <= 2;
    // Decode gray as RGB too: sharp's 'b-w' output drops alpha; gray replicates exactly,
    // so channel 0 is the gray value.
    const { data, info } = await sharp(bytes, { autoOrient: true })
      .toColourspace(sixteen ? 'rgb16' : 'srgb')
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const bitDepth: BitDepth = sixteen ? 16 : 8;
    const decoded = sixteen ? copyUint16(data) : new Uint8Array(data.buffer, data.byteOffset, data.length);
    const hasAlpha = info.channels === 4;
    if (!gray) {
      return { data: decoded, width: info.width, height: info.height, channels: info.channels as ChannelCount, bitDepth };
    }
    return pickGray(decoded, info.width, info.height, info.channels, hasAlpha, bitDepth);
  } catch (cause) {
    throw new ImageDecodeError(
      `Cannot decode image ${name}: ${(cause as Error).message}. Pass an uncorrupted PNG, JPEG or WebP file.`,
      { cause },
    );
  }
}

/** What {@link readImageInfo} finds in an image file's header. */
export interface ImageInfo {
  /** sharp's name of the format: `'png'`, `'jpeg'`, `'webp'`, `'gif'`, `'tiff'`... */
  readonly format: string;
  /** Width of one frame, in pixels. */
  readonly width: number;
  /** Height of one frame, in pixels (not the height of all frames stacked). */
  readonly height: number;
  /**
   * Frames (pages) in the file: more than 1 for an animated GIF or WebP, or a multi-page TIFF.
   * {@link readImage} decodes only the first.
   */
  readonly frames: number;
}

/**
 * Reads an image's format, size and frame count from its header, without decoding the pixels
 * (cheap enough to run over a whole folder before processing it).
 *
 * @param source - a file path or the encoded bytes.
 * @throws {@link ImageDecodeError} if the file cannot be read or is not an image sharp knows.
 */
export async function readImageInfo(source: string | Uint8Array): Promise<ImageInfo> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(source).metadata();
  } catch (cause) {
    throw new ImageDecodeError(`Cannot read the header of image ${describe(source)}: ${(cause as Error).message}. Pass an uncorrupted PNG, JPEG or WebP file.`, { cause });
  }
  if (meta.format === undefined || meta.width === undefined || meta.height === undefined) {
    throw new ImageDecodeError(`Cannot read the size of image ${describe(source)}. Pass an uncorrupted PNG, JPEG or WebP file.`);
  }
  const frames = meta.pages ?? 1;
  // sharp reports the height of one frame; older versions gave all frames stacked with `pageHeight` set.
  const height = meta.pageHeight !== undefined && frames > 1 && meta.height === meta.pageHeight * frames ? meta.pageHeight : meta.height;
  return { format: meta.format, width: meta.width, height, frames };
}

/** Native-endian u16 pixels (sharp's raw output) copied to an aligned array. */
function copyUint16(bytes: Uint8Array): Uint16Array {
  const out = new Uint16Array(bytes.length / 2);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function pickGray(
  data: Uint8Array | Uint16Array,
  width: number,
  height: number,
  srcChannels: number,
  hasAlpha: boolean,
  bitDepth: BitDepth,
): RawImage {
  const n = width * height;
  const channels: ChannelCount = hasAlpha ? 2 : 1;
  const out = bitDepth === 8 ? new Uint8Array(n * channels) : new Uint16Array(n * channels);
  for (let p = 0; p < n; p++) {
    out[p * channels] = data[p * srcChannels]!;
    if (hasAlpha) out[p * channels + 1] = data[p * srcChannels + srcChannels - 1]!;
  }
  return { data: out, width, height, channels, bitDepth };
}

/**
 * Reads an image file or buffer straight to model tensors (see `fromRawImage`): RGB NHWC
 * `[1, H, W, 3]` float32 in `[-1, 1]`, alpha `[1, H, W, 1]` in `[0, 1]`. The caller disposes them.
 * @throws {@link ImageDecodeError} as {@link readImage}.
 */
export async function readImageTensors(source: string | Uint8Array, options: FromRawOptions = {}): Promise<ModelImage> {
  return fromRawImage(await readImage(source), options);
}

function reduceTo8Bit(raw: RawImage): RawImage {
  if (raw.bitDepth === 8) return raw;
  const data = new Uint8Array(raw.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(raw.data[i]! / 257);
  return { ...raw, data, bitDepth: 8 };
}

function dropAlphaChannel(raw: RawImage): RawImage {
  const color = raw.channels - 1;
  const n = raw.width * raw.height;
  const data = raw.bitDepth === 8 ? new Uint8Array(n * color) : new Uint16Array(n * color);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < color; c++) data[p * color + c] = raw.data[p * raw.channels + c]!;
  }
  return { ...raw, data, channels: color as ChannelCount };
}

/**
 * Encodes integer pixels or model tensors to PNG, JPEG or WebP bytes. PNG keeps 16 bits,
 * gray and alpha; JPEG and WebP hold 8 bits, so 16-bit pixels are reduced (`round(v / 257)`);
 * WebP stores gray as RGB; JPEG has no alpha (see `dropAlpha`). Model tensors are
 * quantized with `toRawImage` and not disposed.
 *
 * @throws {@link ImageEncodeError} for a missing or unknown format, a bad quality, or alpha in JPEG.
 */
export async function encodeImage(image: RawImage | ModelImage, options: WriteImageOptions): Promise<Buffer> {
  const { format } = options;
  if (format !== 'png' && format !== 'jpeg' && format !== 'webp') {
    throw new ImageEncodeError(`Image format ${String(format)} is not supported: pass 'png', 'jpeg' or 'webp'.`);
  }
  const quality = options.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new ImageEncodeError(`Quality ${quality} is invalid: pass an integer in 1..100.`);
  }
  let raw = isModelImage(image) ? await toRawImage(image, options) : image;
  validateRawImage(raw);
  if (format !== 'png') raw = reduceTo8Bit(raw);
  const hasAlpha = raw.channels === 2 || raw.channels === 4;
  if (format === 'jpeg' && hasAlpha) {
    if (!options.dropAlpha) {
      throw new ImageEncodeError('JPEG cannot store an alpha channel: write PNG or WebP, or pass { dropAlpha: true }.');
    }
    raw = dropAlphaChannel(raw);
  }
  const gray = raw.channels <= 2;
  const space = gray ? (raw.bitDepth === 16 ? 'grey16' : 'b-w') : raw.bitDepth === 16 ? 'rgb16' : 'srgb';
  const pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }).toColourspace(space);
  if (format === 'png') return pipeline.png().toBuffer();
  if (format === 'jpeg') return pipeline.jpeg({ quality }).toBuffer();
  return pipeline.webp({ quality, lossless: options.lossless ?? false }).toBuffer();
}

const EXTENSIONS: Record<string, ImageFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

/**
 * Encodes (see {@link encodeImage}) and writes an image file; the format comes from
 * `options.format` or the file extension.
 * @throws {@link ImageEncodeError} if the format cannot be determined or encoding fails.
 */
export async function writeImage(path: string, image: RawImage | ModelImage, options: WriteImageOptions = {}): Promise<void> {
  const format = options.format ?? EXTENSIONS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new ImageEncodeError(
      `Cannot tell the image format of '${path}': use a .png, .jpg, .jpeg or .webp extension or pass { format }.`,
    );
  }
  await writeFile(path, await encodeImage(image, { ...options, format }));
}
