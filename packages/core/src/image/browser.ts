import { ImageError } from './errors.js';
import { fromRawImage, toRawImage } from './raw.js';
import type { FromRawOptions, ToRawOptions } from './raw.js';
import type { ModelImage } from './types.js';

/**
 * Browser-side conversions. Every global (ImageData, document, OffscreenCanvas,
 * createImageBitmap) is looked up with `typeof` at call time, so importing this module in
 * Node is harmless; calling a helper whose API is missing throws {@link ImageError}.
 *
 * Canvas pixels are 8-bit, straight RGBA in sRGB. `ImageData` round-trips every pixel exactly.
 * A canvas (and an `ImageBitmap`) stores colors premultiplied by alpha in 8 bits, so whatever
 * passes through one keeps alpha and opaque pixels exactly but, at alpha `a` between 1 and 254,
 * may move each color by up to `ceil(255 / (2 a))` levels (1 level from `a = 128` up, 128 at
 * `a = 1`), and turns fully transparent pixels black (`0, 0, 0, 0`). That is the browser's doing,
 * not the helpers' (measured in Chromium); the change is hidden by the same transparency when
 * the image is shown. Decode files to RGBA yourself and use {@link fromImageData} (or
 * `fromRawImage`) where semi-transparent colors must be exact.
 */

/** Anything with the shape of `ImageData` (8-bit RGBA). */
export interface ImageDataLike {
  /** `width * height * 4` values, interleaved straight RGBA, row-major, in `[0, 255]`. */
  readonly data: Uint8ClampedArray;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
}

/** Sources {@link fromBrowserImage} accepts. */
export type BrowserImageSource = ImageDataLike | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement | ImageBitmap;

type Canvas2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Options of the browser `from*` helpers: opaque alpha is dropped unless `dropOpaqueAlpha` is false. */
export type FromBrowserOptions = FromRawOptions;

function withDefaults(options: FromBrowserOptions): FromBrowserOptions {
  return { dropOpaqueAlpha: true, ...options };
}

/**
 * Converts `ImageData` (or an object of the same shape) to model tensors: RGB NHWC
 * `[1, H, W, 3]` float32 in `[-1, 1]`, alpha `[1, H, W, 1]` in `[0, 1]` unless fully opaque.
 * Exact for every pixel, semi-transparent ones included (no canvas is involved).
 */
export function fromImageData(imageData: ImageDataLike, options: FromBrowserOptions = {}): ModelImage {
  if (!(imageData.data instanceof Uint8ClampedArray)) {
    throw new ImageError('ImageData must hold 8-bit RGBA (Uint8ClampedArray): float ImageData is not supported.');
  }
  return fromRawImage(
    { data: imageData.data, width: imageData.width, height: imageData.height, channels: 4, bitDepth: 8 },
    withDefaults(options),
  );
}

/**
 * Converts model tensors to an 8-bit RGBA `ImageData` (opaque if `image.alpha` is absent;
 * gray is replicated), straight (not premultiplied) alpha, exact for every pixel. Drawing it
 * into a canvas premultiplies semi-transparent pixels (see the module notes). Does not dispose
 * the tensors.
 * @throws {@link ImageError} if `ImageData` is not available (Node: use `toRawImage`).
 */
export async function toImageData(image: ModelImage, options: Pick<ToRawOptions, 'alpha'> = {}): Promise<ImageData> {
  if (typeof ImageData === 'undefined') {
    throw new ImageError('ImageData is not available in this environment: use toRawImage instead.');
  }
  const raw = await toRawImage(image, { ...options, bitDepth: 8, gray: false });
  const rgba = new Uint8ClampedArray(raw.width * raw.height * 4);
  const n = raw.width * raw.height;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = raw.data[raw.channels * p + c]!;
    rgba[4 * p + 3] = raw.channels === 4 ? raw.data[4 * p + 3]! : 255;
  }
  return new ImageData(rgba, raw.width, raw.height);
}

/** A fresh canvas: OffscreenCanvas where available (workers), else a DOM canvas. */
function createCanvas(width: number, height: number): HTMLCanvasElement | OffscreenCanvas {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  if (typeof document !== 'undefined') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }
  throw new ImageError('No canvas is available in this environment (no OffscreenCanvas, no document): use fromRawImage.');
}

function context2d(canvas: HTMLCanvasElement | OffscreenCanvas): Canvas2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as Canvas2D | null;
  if (!ctx) {
    throw new ImageError('The canvas has no 2D context (it may already have a WebGL/WebGPU context): pass a fresh canvas.');
  }
  return ctx;
}

/**
 * Reads a canvas's pixels into model tensors (see {@link fromImageData}). The canvas holds
 * premultiplied colors: semi-transparent pixels come back within `ceil(255 / (2 a))` levels of
 * what was drawn, transparent ones black; opaque pixels and alpha exactly.
 */
export function fromCanvas(canvas: HTMLCanvasElement | OffscreenCanvas, options: FromBrowserOptions = {}): ModelImage {
  return fromImageData(context2d(canvas).getImageData(0, 0, canvas.width, canvas.height), options);
}

/**
 * Draws model tensors into `canvas` (resized to the image) or into a new canvas. Opaque pixels
 * and alpha land exactly; the canvas premultiplies semi-transparent colors, so reading them back
 * gives them within `ceil(255 / (2 a))` levels, and transparent pixels black.
 * @returns the canvas drawn into.
 */
export async function toCanvas<C extends HTMLCanvasElement | OffscreenCanvas>(
  image: ModelImage,
  canvas?: C,
): Promise<C | HTMLCanvasElement | OffscreenCanvas> {
  const imageData = await toImageData(image);
  const target = canvas ?? createCanvas(imageData.width, imageData.height);
  target.width = imageData.width;
  target.height = imageData.height;
  context2d(target).putImageData(imageData, 0, 0);
  return target;
}

function drawableToModel(
  source: CanvasImageSource,
  width: number,
  height: number,
  options: FromBrowserOptions,
): ModelImage {
  if (width <= 0 || height <= 0) {
    throw new ImageError(`The image is ${width}x${height}: wait until it has loaded (or decoded) before converting it.`);
  }
  const canvas = createCanvas(width, height);
  const ctx = context2d(canvas);
  ctx.drawImage(source, 0, 0);
  return fromImageData(ctx.getImageData(0, 0, width, height), options);
}

/**
 * Decodes (if needed) and reads an `<img>` at its natural size into model tensors, through a
 * canvas: exact for opaque pixels, premultiplied (see {@link fromCanvas}) where semi-transparent.
 */
export async function fromImageElement(img: HTMLImageElement, options: FromBrowserOptions = {}): Promise<ModelImage> {
  if (!img.complete || img.naturalWidth === 0) {
    try {
      await img.decode();
    } catch (cause) {
      throw new ImageError(`The image '${img.src}' could not be decoded: check its URL, format and CORS headers.`, { cause });
    }
  }
  return drawableToModel(img, img.naturalWidth, img.naturalHeight, options);
}

/** Reads an `ImageBitmap` into model tensors, through a canvas (see {@link fromCanvas} on alpha). */
export function fromImageBitmap(bitmap: ImageBitmap, options: FromBrowserOptions = {}): ModelImage {
  return drawableToModel(bitmap, bitmap.width, bitmap.height, options);
}

/**
 * Converts model tensors to an `ImageBitmap` (8-bit RGBA), which stores semi-transparent colors
 * premultiplied like a canvas (see {@link fromCanvas}); opaque pixels exactly.
 */
export async function toImageBitmap(image: ModelImage): Promise<ImageBitmap> {
  if (typeof createImageBitmap === 'undefined') {
    throw new ImageError('createImageBitmap is not available in this environment: use toImageData or toRawImage.');
  }
  return createImageBitmap(await toImageData(image));
}

/**
 * Any browser image source to model tensors; dispatches on the source's type. `ImageData` is
 * read exactly; the others through a canvas (see {@link fromCanvas} on semi-transparent pixels).
 */
export async function fromBrowserImage(source: BrowserImageSource, options: FromBrowserOptions = {}): Promise<ModelImage> {
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) {
    return fromImageElement(source, options);
  }
  if (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap) {
    return fromImageBitmap(source, options);
  }
  if (
    (typeof HTMLCanvasElement !== 'undefined' && source instanceof HTMLCanvasElement) ||
    (typeof OffscreenCanvas !== 'undefined' && source instanceof OffscreenCanvas)
  ) {
    return fromCanvas(source, options);
  }
  if ('data' in source && source.data instanceof Uint8ClampedArray) {
    return fromImageData(source, options);
  }
  throw new ImageError(
    'Unsupported image source: pass ImageData, a canvas, an OffscreenCanvas, an <img> or an ImageBitmap.',
  );
}
