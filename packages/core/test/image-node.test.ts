import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { disposeModelImage, ImageDecodeError, ImageEncodeError } from '../src/image/index.js';
import type { RawImage } from '../src/image/index.js';
import sharp from 'sharp';
import { encodeImage, readImage, readImageInfo, readImageTensors, writeImage } from '../src/image/node.js';
import { psnrHost } from '../src/metrics/index.js';
import { LAYOUTS, makeRaw } from './raw-images.js';

/** A smooth 8-bit RGB image, on which JPEG is accurate. */
function smoothRgb(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      data[i] = Math.round((255 * x) / (width - 1));
      data[i + 1] = Math.round((255 * y) / (height - 1));
      data[i + 2] = 128;
    }
  }
  return { data, width, height, channels: 3, bitDepth: 8 };
}

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'yonos-image-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readImage / encodeImage / writeImage', () => {
  it.each(LAYOUTS)('PNG keeps %i channel(s) at %i bits exactly', async (channels, bitDepth) => {
    const raw = makeRaw(channels, bitDepth);
    const back = await readImage(await encodeImage(raw, { format: 'png' }));
    expect(back).toMatchObject({ width: raw.width, height: raw.height, channels, bitDepth });
    expect(back.data.constructor).toBe(bitDepth === 8 ? Uint8Array : Uint16Array);
    expect(Array.from(back.data)).toEqual(Array.from(raw.data));
  });

  it.each([3, 4] as const)('lossless WebP keeps %i 8-bit channels exactly (file path)', async (channels) => {
    const raw = makeRaw(channels, 8);
    const path = join(dir, `rt-${channels}.webp`);
    await writeImage(path, raw, { lossless: true });
    const back = await readImage(path);
    expect(back.channels).toBe(channels);
    expect(Array.from(back.data)).toEqual(Array.from(raw.data));
  });

  it('WebP reduces 16 bits to 8 and stores gray as RGB', async () => {
    const raw = makeRaw(1, 16);
    const back = await readImage(await encodeImage(raw, { format: 'webp', lossless: true }));
    expect(back.bitDepth).toBe(8);
    expect(back.channels).toBe(3);
    const expected = Array.from(raw.data).flatMap((v) => {
      const g = Math.round(v / 257);
      return [g, g, g];
    });
    expect(Array.from(back.data)).toEqual(expected);
  });

  it('JPEG is close, refuses alpha unless told to drop it, and keeps gray', async () => {
    const raw = smoothRgb(32, 24);
    const path = join(dir, 'smooth.jpg');
    await writeImage(path, raw, { quality: 95 });
    const back = await readImage(path);
    expect(back.channels).toBe(3);
    expect(psnrHost(back, raw)).toBeGreaterThan(35);
    const rgba = makeRaw(4, 8);
    await expect(encodeImage(rgba, { format: 'jpeg' })).rejects.toThrow(ImageEncodeError);
    const dropped = await readImage(await encodeImage(rgba, { format: 'jpeg', dropAlpha: true }));
    expect(dropped.channels).toBe(3);
    const gray = await readImage(await encodeImage({ ...raw, data: raw.data.filter((_, i) => i % 3 === 0), channels: 1 }, { format: 'jpeg' }));
    expect(gray.channels).toBe(1);
    await expect(encodeImage(raw, { format: 'jpeg', quality: 0 })).rejects.toThrow(ImageEncodeError);
  });

  it('infers the format from the extension and refuses unknown ones', async () => {
    const raw = makeRaw(3, 8);
    await writeImage(join(dir, 'a.PNG'), raw);
    expect(readFileSync(join(dir, 'a.PNG')).subarray(1, 4).toString()).toBe('PNG');
    await expect(writeImage(join(dir, 'a.bmp'), raw)).rejects.toThrow(/\.png, \.jpg/);
    await expect(encodeImage(raw, { format: 'gif' as 'png' })).rejects.toThrow(ImageEncodeError);
  });
});

describe('readImageInfo', () => {
  it('gives the format, the size of one frame and the frame count, from the header only', async () => {
    const png = join(dir, 'info.png');
    await writeImage(png, makeRaw(3, 8, 12, 7));
    expect(await readImageInfo(png)).toEqual({ format: 'png', width: 12, height: 7, frames: 1 });
    // A 3-frame animated GIF and WebP of 8x6 frames: readImage decodes the first frame only.
    const stacked = Buffer.from(Array.from({ length: 8 * 18 * 3 }, (_, i) => (i * 37) & 255));
    const raw = { raw: { width: 8, height: 18, channels: 3 as const, pageHeight: 6 } };
    const gif = await sharp(stacked, raw).gif({ delay: [100, 100, 100] }).toBuffer();
    const webp = await sharp(stacked, raw).webp({ delay: [100, 100, 100], lossless: true }).toBuffer();
    expect(await readImageInfo(gif)).toEqual({ format: 'gif', width: 8, height: 6, frames: 3 });
    expect(await readImageInfo(webp)).toEqual({ format: 'webp', width: 8, height: 6, frames: 3 });
    const first = await readImage(webp);
    expect([first.width, first.height]).toEqual([8, 6]);
    expect(Array.from(first.data.subarray(0, 6))).toEqual(Array.from(stacked.subarray(0, 6)));
    const garbage = join(dir, 'info-garbage.png');
    writeFileSync(garbage, 'not an image');
    await expect(readImageInfo(garbage)).rejects.toThrow(ImageDecodeError);
    await expect(readImageInfo(garbage)).rejects.toThrow(/info-garbage\.png/);
  });
});

describe('ImageDecodeError', () => {
  it('names the file for garbage, truncated and missing files', async () => {
    const garbage = join(dir, 'garbage.png');
    writeFileSync(garbage, Buffer.from('this is not an image at all'));
    await expect(readImage(garbage)).rejects.toThrow(ImageDecodeError);
    await expect(readImage(garbage)).rejects.toThrow(/garbage\.png/);

    const png = await encodeImage(makeRaw(3, 8, 32, 32), { format: 'png' });
    const truncated = join(dir, 'truncated.png');
    writeFileSync(truncated, png.subarray(0, Math.floor(png.length / 2)));
    await expect(readImage(truncated)).rejects.toThrow(/truncated\.png/);

    const missing = join(dir, 'missing.png');
    await expect(readImage(missing)).rejects.toThrow(ImageDecodeError);
    await expect(readImage(missing)).rejects.toThrow(/missing\.png/);

    await expect(readImage(new Uint8Array([1, 2, 3]))).rejects.toThrow(/buffer of 3 bytes/);
  });
});

describe('readImageTensors / writeImage of model tensors', () => {
  it.each([
    [2, 16],
    [4, 8],
    [1, 8],
  ] as const)('%i channel(s) %i bit: file -> tensors -> file is lossless, alpha and gray kept, no leaks', async (channels, bitDepth) => {
    const raw = makeRaw(channels, bitDepth);
    const src = join(dir, `src-${channels}-${bitDepth}.png`);
    await writeImage(src, raw);
    const before = tf.memory().numTensors;
    const image = await readImageTensors(src);
    expect(image.wasGray).toBe(channels <= 2);
    expect(image.bitDepth).toBe(bitDepth);
    expect(image.alpha !== undefined).toBe(channels % 2 === 0);
    const dst = join(dir, `dst-${channels}-${bitDepth}.png`);
    await writeImage(dst, image);
    disposeModelImage(image);
    expect(tf.memory().numTensors).toBe(before);
    const back = await readImage(dst);
    expect(back).toMatchObject({ channels, bitDepth });
    expect(Array.from(back.data)).toEqual(Array.from(raw.data));
  });
});
