import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import {
  disposeModelImage,
  fromBrowserImage,
  fromCanvas,
  fromImageData,
  fromRawImage,
  ImageError,
  toCanvas,
  toImageData,
  toRawImage,
} from '../src/image/index.js';
import type { ChannelCount } from '../src/image/index.js';
import { LAYOUTS, makeRaw } from './raw-images.js';

describe('fromRawImage / toRawImage', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(LAYOUTS)('%i channel(s), %i bit: exact values, alpha kept aside, round trip exact, no leaks', async (channels, bitDepth) => {
    const raw = makeRaw(channels, bitDepth);
    const max = 2 ** bitDepth - 1;
    const before = tf.memory().numTensors;
    const image = fromRawImage(raw);
    expect(tf.memory().numTensors - before).toBe(channels % 2 === 0 ? 2 : 1);
    expect(image.rgb.shape).toEqual([1, raw.height, raw.width, 3]);
    expect(image.wasGray).toBe(channels <= 2);
    expect(image.bitDepth).toBe(bitDepth);
    const rgb = await image.rgb.data();
    const n = raw.width * raw.height;
    let maxErr = 0;
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < 3; c++) {
        const v = raw.data[p * channels + (channels <= 2 ? 0 : c)]!;
        maxErr = Math.max(maxErr, Math.abs(rgb[3 * p + c]! - (2 * v - max) / max));
      }
    }
    // Only float32 storage rounding: half an ulp of values in [-1, 1].
    expect(maxErr).toBeLessThanOrEqual(2 ** -24);
    expect(Math.min(...rgb)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...rgb)).toBeLessThanOrEqual(1);
    if (channels % 2 === 0) {
      expect(image.alpha!.shape).toEqual([1, raw.height, raw.width, 1]);
      const alpha = await image.alpha!.data();
      for (let p = 0; p < n; p++) {
        expect(Math.abs(alpha[p]! - raw.data[p * channels + channels - 1]! / max)).toBeLessThanOrEqual(2 ** -24);
      }
    } else {
      expect(image.alpha).toBeUndefined();
    }
    const mid = tf.memory().numTensors;
    const back = await toRawImage(image);
    expect(tf.memory().numTensors).toBe(mid);
    expect(back.channels).toBe(channels);
    expect(back.bitDepth).toBe(bitDepth);
    expect(back.data.constructor).toBe(bitDepth === 8 ? Uint8Array : Uint16Array);
    expect(Array.from(back.data)).toEqual(Array.from(raw.data));
    disposeModelImage(image);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('converts bit depth on request', async () => {
    const raw = makeRaw(3, 16);
    const image = fromRawImage(raw);
    const eight = await toRawImage(image, { bitDepth: 8 });
    expect(Array.from(eight.data)).toEqual(Array.from(raw.data, (v) => Math.round((v / 65535) * 255)));
    disposeModelImage(image);
    const raw8 = makeRaw(4, 8);
    const image8 = fromRawImage(raw8);
    const sixteen = await toRawImage(image8, { bitDepth: 16 });
    expect(Array.from(sixteen.data)).toEqual(Array.from(raw8.data, (v) => v * 257));
    disposeModelImage(image8);
  });

  it('rounds, clamps and writes gray as BT.601 luma', async () => {
    // (x + 1) / 2 * 255 for x = 0 is 127.5: half rounds up.
    const rgb = tf.tensor4d([0, -2, 2, Number.NaN, -1, 1, 0.5, -0.25, 1 / 3], [1, 1, 3, 3]);
    const raw = await toRawImage({ rgb });
    expect(Array.from(raw.data)).toEqual([128, 0, 255, 0, 0, 255, 191, 96, 170]);
    const gray = await toRawImage({ rgb: tf.tensor4d([0.2, -0.4, 0.9], [1, 1, 1, 3]) }, { gray: true });
    const unit = [0.6, 0.3, 0.95];
    expect(Array.from(gray.data)).toEqual([Math.round((0.299 * unit[0]! + 0.587 * unit[1]! + 0.114 * unit[2]!) * 255)]);
    expect(gray.channels).toBe(1);
    rgb.dispose();
  });

  it('drops fully opaque alpha only when asked', () => {
    const raw = makeRaw(4, 8);
    const opaque = { ...raw, data: raw.data.map((v, i) => (i % 4 === 3 ? 255 : v)) };
    const kept = fromRawImage(opaque);
    const dropped = fromRawImage(opaque, { dropOpaqueAlpha: true });
    const translucent = fromRawImage(raw, { dropOpaqueAlpha: true });
    expect(kept.alpha).toBeDefined();
    expect(dropped.alpha).toBeUndefined();
    expect(translucent.alpha).toBeDefined();
    [kept, dropped, translucent].forEach(disposeModelImage);
  });

  it('rejects inconsistent inputs with ImageError', async () => {
    const raw = makeRaw(3, 8);
    expect(() => fromRawImage({ ...raw, data: raw.data.subarray(1) })).toThrow(ImageError);
    expect(() => fromRawImage({ ...raw, bitDepth: 16 })).toThrow(/Uint16Array/);
    expect(() => fromRawImage({ ...raw, channels: 5 as ChannelCount })).toThrow(ImageError);
    expect(() => fromRawImage({ ...raw, width: 0 })).toThrow(ImageError);
    const rgb = tf.zeros([1, 4, 5, 3]) as tf.Tensor4D;
    const alpha = tf.zeros([1, 2, 5, 1]) as tf.Tensor4D;
    await expect(toRawImage({ rgb, alpha })).rejects.toThrow(/resize the alpha/);
    await expect(toRawImage({ rgb: alpha as tf.Tensor4D })).rejects.toThrow(ImageError);
    tf.dispose([rgb, alpha]);
  });
});

class FakeImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

/** A canvas stand-in with the 2D context calls the helpers use. */
function fakeCanvas(width: number, height: number) {
  let pixels = new Uint8ClampedArray(width * height * 4);
  const canvas = {
    width,
    height,
    getContext: () => ({
      getImageData: (_x: number, _y: number, w: number, h: number) => new FakeImageData(pixels.slice(), w, h),
      putImageData: (d: FakeImageData) => {
        pixels = d.data.slice();
      },
    }),
  };
  return canvas;
}

describe('browser helpers (with stand-ins for the DOM)', () => {
  afterEach(() => {
    delete (globalThis as { ImageData?: unknown }).ImageData;
  });

  it('fromImageData reads RGBA and drops opaque alpha by default', async () => {
    const raw = makeRaw(4, 8, 3, 2);
    const imageData = { data: new Uint8ClampedArray(raw.data), width: 3, height: 2 };
    const image = fromImageData(imageData);
    const viaRaw = fromRawImage(raw);
    expect(Array.from(await image.rgb.data())).toEqual(Array.from(await viaRaw.rgb.data()));
    expect(Array.from(await image.alpha!.data())).toEqual(Array.from(await viaRaw.alpha!.data()));
    const opaque = fromImageData({ ...imageData, data: imageData.data.map((v, i) => (i % 4 === 3 ? 255 : v)) });
    expect(opaque.alpha).toBeUndefined();
    [image, viaRaw, opaque].forEach(disposeModelImage);
  });

  it('toImageData needs ImageData, and writes RGBA (opaque without alpha, gray replicated)', async () => {
    const raw = makeRaw(1, 8, 3, 2);
    const image = fromRawImage(raw);
    await expect(toImageData(image)).rejects.toThrow(ImageError);
    (globalThis as { ImageData?: unknown }).ImageData = FakeImageData;
    const out = await toImageData(image);
    expect(out.width).toBe(3);
    const expected = Array.from(raw.data).flatMap((g) => [g, g, g, 255]);
    expect(Array.from(out.data)).toEqual(expected);
    disposeModelImage(image);
  });

  // A stand-in keeps what it is given; a real canvas premultiplies semi-transparent colors, which
  // docs/test/browser-image.test.ts checks in Chromium.
  it('passes pixels through a stand-in canvas unchanged, and fromBrowserImage dispatches ImageData-like objects', async () => {
    (globalThis as { ImageData?: unknown }).ImageData = FakeImageData;
    const raw = makeRaw(4, 8, 4, 3);
    const image = fromRawImage(raw);
    const canvas = fakeCanvas(1, 1) as unknown as HTMLCanvasElement;
    const drawn = await toCanvas(image, canvas);
    expect(drawn).toBe(canvas);
    expect([canvas.width, canvas.height]).toEqual([4, 3]);
    const back = fromCanvas(canvas);
    expect(Array.from((await toRawImage(back)).data)).toEqual(Array.from(raw.data));
    const dispatched = await fromBrowserImage({ data: new Uint8ClampedArray(raw.data), width: 4, height: 3 });
    expect(Array.from((await toRawImage(dispatched)).data)).toEqual(Array.from(raw.data));
    [image, back, dispatched].forEach(disposeModelImage);
    await expect(fromBrowserImage({} as ImageData)).rejects.toThrow(ImageError);
  });
});
