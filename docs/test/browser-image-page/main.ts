/**
 * The page of `docs/test/browser-image.test.ts`: puts `@yonos/core`'s browser image helpers on
 * `window.imageHelpers`, each taking and returning plain arrays so that the test can call it
 * through Playwright, and each reporting the tensors it left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  disposeModelImage,
  fromBrowserImage,
  fromCanvas,
  fromImageBitmap,
  fromImageData,
  fromImageElement,
  fromRawImage,
  toCanvas,
  toImageBitmap,
  toImageData,
  toRawImage,
  useBackend,
} from '@yonos/core';
import type { ModelImage } from '@yonos/core';

/** 8-bit RGBA pixels, as arrays cross the page boundary. */
export interface Pixels {
  readonly data: number[];
  readonly width: number;
  readonly height: number;
}

/** What a helper gave back: its RGBA pixels (alpha 255 when it kept none) and the tensors it leaked. */
export interface Outcome extends Pixels {
  /** Channels `toRawImage` wrote: 4 with alpha, 3 when the image was found opaque. */
  readonly channels: number;
  readonly leaked: number;
}

async function rgbaOf(image: ModelImage): Promise<{ data: number[]; channels: number }> {
  const raw = await toRawImage(image, { bitDepth: 8, gray: false });
  const n = raw.width * raw.height;
  const data: number[] = [];
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) data.push(raw.data[raw.channels * p + c]!);
    data.push(raw.channels === 4 ? raw.data[4 * p + 3]! : 255);
  }
  return { data, channels: raw.channels };
}

/** Runs `make`, reads its image back as RGBA, disposes it and counts the tensors left over. */
async function measure(make: () => ModelImage | Promise<ModelImage>): Promise<Outcome> {
  const before = tf.memory().numTensors;
  const image = await make();
  const { data, channels } = await rgbaOf(image);
  const [, height, width] = image.rgb.shape;
  disposeModelImage(image);
  return { data, width, height, channels, leaked: tf.memory().numTensors - before };
}

function imageData(p: Pixels): ImageData {
  return new ImageData(Uint8ClampedArray.from(p.data), p.width, p.height);
}

/** The model tensors of `p`, made without any browser API (alpha kept even where opaque). */
function modelImage(p: Pixels): ModelImage {
  return fromRawImage({ data: Uint8Array.from(p.data), width: p.width, height: p.height, channels: 4, bitDepth: 8 }, { dropOpaqueAlpha: false });
}

/** What a 2D canvas holds, read with getImageData (straight RGBA, as the canvas gives it back). */
function canvasPixels(canvas: HTMLCanvasElement | OffscreenCanvas): Pixels {
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  return { data: Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data), width: canvas.width, height: canvas.height };
}

const helpers = {
  async start(): Promise<string> {
    await useBackend('cpu');
    return tf.getBackend();
  },
  /** fromImageData of an `ImageData`, read back. */
  fromImageData: (p: Pixels) => measure(() => fromImageData(imageData(p))),
  /** toImageData of the model tensors of `p`. */
  async toImageData(p: Pixels): Promise<Outcome> {
    const image = modelImage(p);
    const before = tf.memory().numTensors;
    const out = await toImageData(image);
    const leaked = tf.memory().numTensors - before;
    disposeModelImage(image);
    return { data: Array.from(out.data), width: out.width, height: out.height, channels: 4, leaked };
  },
  /** toCanvas into a fresh DOM canvas: what the canvas then holds. */
  async toCanvas(p: Pixels): Promise<Outcome> {
    const image = modelImage(p);
    const before = tf.memory().numTensors;
    const canvas = await toCanvas(image, document.createElement('canvas'));
    const leaked = tf.memory().numTensors - before;
    disposeModelImage(image);
    return { ...canvasPixels(canvas), channels: 4, leaked };
  },
  /** toCanvas (a new OffscreenCanvas), then fromCanvas: the round trip through a canvas. */
  async canvasRoundTrip(p: Pixels): Promise<Outcome> {
    const image = modelImage(p);
    const canvas = await toCanvas(image);
    disposeModelImage(image);
    return measure(() => fromCanvas(canvas as HTMLCanvasElement | OffscreenCanvas));
  },
  /** toImageBitmap, then fromImageBitmap. */
  async bitmapRoundTrip(p: Pixels): Promise<Outcome> {
    const image = modelImage(p);
    const bitmap = await toImageBitmap(image);
    disposeModelImage(image);
    return measure(() => fromImageBitmap(bitmap));
  },
  /** An `<img>` of a PNG file, read by fromImageElement. */
  async fromImageElement(png: number[]): Promise<Outcome> {
    const url = URL.createObjectURL(new Blob([Uint8Array.from(png)], { type: 'image/png' }));
    const img = new Image();
    img.src = url;
    try {
      return await measure(() => fromImageElement(img));
    } finally {
      URL.revokeObjectURL(url);
    }
  },
  /** fromBrowserImage on each kind of source holding `p`: ImageData, canvas, OffscreenCanvas, ImageBitmap. */
  async fromBrowserImage(p: Pixels): Promise<Record<string, Outcome>> {
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [p.width, p.height];
    canvas.getContext('2d')!.putImageData(imageData(p), 0, 0);
    const offscreen = new OffscreenCanvas(p.width, p.height);
    offscreen.getContext('2d')!.putImageData(imageData(p), 0, 0);
    const sources = { imageData: imageData(p), canvas, offscreen, bitmap: await createImageBitmap(imageData(p)) };
    const out: Record<string, Outcome> = {};
    for (const [name, source] of Object.entries(sources)) out[name] = await measure(() => fromBrowserImage(source));
    return out;
  },
  /** The same pixels put into and read from a bare 2D canvas, without the helpers (the browser's own behaviour). */
  bareCanvas(p: Pixels): Pixels {
    const canvas = new OffscreenCanvas(p.width, p.height);
    canvas.getContext('2d')!.putImageData(imageData(p), 0, 0);
    return canvasPixels(canvas);
  },
};

/** What the page exposes to the test. */
export type ImageHelpers = typeof helpers;

(globalThis as unknown as { imageHelpers: ImageHelpers }).imageHelpers = helpers;
document.body.dataset['state'] = 'ready';
