// Image folders and seeded random-crop batches.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRng, useBackend } from '@yonos/core';
import type { RawImage } from '@yonos/core';
import { DatasetError, ImageFolder, ImageTooSmallError, RandomCropBatches, UnreadableImageError, listImageFiles } from '../src/index.js';
import { SampleOrder, centerCropWindow } from '../src/data/index.js';
import type { UnusableImageError } from '../src/index.js';
import { removeDir, tempDir } from './helpers/fs.js';
import { makeRawImage, writeImageFolder } from './helpers/images.js';

let root: string;
let dataDir: string;
let images: Map<string, RawImage>;

beforeAll(async () => {
  await useBackend('cpu');
  root = await tempDir();
  dataDir = join(root, 'data');
  images = await writeImageFolder(dataDir, 6, { width: 24, height: 20 });
  await writeFile(join(dataDir, 'notes.txt'), 'not an image');
  await mkdir(join(dataDir, '.hidden'), { recursive: true });
  await writeFile(join(dataDir, '.hidden', 'x.png'), 'hidden');
});

afterAll(async () => {
  await removeDir(root);
});

/** The expected crop, computed independently from the source pixels: [size, size, 3] in [0, 1]. */
function expectedCrop(raw: RawImage, p: { top: number; left: number; size: number; hflip: boolean; vflip: boolean; transpose: boolean }): Float32Array {
  const out = new Float32Array(p.size * p.size * 3);
  for (let y = 0; y < p.size; y++) {
    for (let x = 0; x < p.size; x++) {
      // Apply the augmentations in BasicSR's order to a source window: hflip, vflip, transpose.
      let [yy, xx] = p.transpose ? [x, y] : [y, x];
      if (p.vflip) yy = p.size - 1 - yy;
      if (p.hflip) xx = p.size - 1 - xx;
      for (let k = 0; k < 3; k++) out[(y * p.size + x) * 3 + k] = raw.data[((p.top + yy) * raw.width + p.left + xx) * 3 + k]! / 255;
    }
  }
  return out;
}

describe('listImageFiles / ImageFolder', () => {
  test('lists images recursively, sorted by code point, skipping hidden entries and other files', async () => {
    const files = await listImageFiles(dataDir);
    expect(files).toEqual([...images.keys()].sort((a, b) => (a < b ? -1 : 1)));
    expect(files).toContain('sub/img-2.png');
    expect(await listImageFiles(dataDir, { recursive: false })).not.toContain('sub/img-2.png');
    await expect(ImageFolder.open(join(root, 'missing'))).rejects.toThrow(DatasetError);
    await mkdir(join(root, 'empty'));
    await expect(ImageFolder.open(join(root, 'empty'))).rejects.toThrow(/No images in/);
  });

  test('decodes exactly; an unreadable file is a typed, remembered problem', async () => {
    const dir = join(root, 'broken');
    await writeImageFolder(dir, 2);
    await writeFile(join(dir, 'bad.png'), 'definitely not a png');
    const folder = await ImageFolder.open(dir, { cacheBytes: 10_000 });
    expect(folder.files).toEqual(['bad.png', 'img-0.png', 'img-1.png']);
    const raw = await folder.read(1);
    expect(Buffer.from(raw.data).equals(Buffer.from(makeRawImage(1000, 24, 20).data))).toBe(true);
    expect(await folder.read(1)).toBe(raw); // cached
    const err = await folder.read(0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreadableImageError);
    expect((err as UnreadableImageError).file).toBe('bad.png');
    expect((err as Error).message).toMatch(/Replace or delete the file/);
    expect([...folder.problems.keys()]).toEqual(['bad.png']);
    expect((await folder.check()).map((e) => e.file)).toEqual(['bad.png']);
  });
});

describe('RandomCropBatches', () => {
  test('batch i is a pure function of (seed, i): same seed same pixels in any call order, another seed differs', async () => {
    const folder = await ImageFolder.open(dataDir);
    const make = (seed: number) => new RandomCropBatches(folder, { batchSize: 3, cropSize: 16, seed, vflip: true, rot90: true });
    const a = make(11);
    const b = make(11);
    const c = make(12);
    const a3 = await a.batch(3);
    const a0 = await a.batch(0);
    const b0 = await b.batch(0);
    const b3 = await b.batch(3);
    const c0 = await c.batch(0);
    expect(a0.shape).toEqual([3, 16, 16, 3]);
    expect(a0.dtype).toBe('float32');
    expect(Buffer.from((await a0.data()).buffer).equals(Buffer.from((await b0.data()).buffer))).toBe(true);
    expect(Buffer.from((await a3.data()).buffer).equals(Buffer.from((await b3.data()).buffer))).toBe(true);
    expect(Buffer.from((await a0.data()).buffer).equals(Buffer.from((await c0.data()).buffer))).toBe(false);
    tf.dispose([a0, a3, b0, b3, c0]);
  });

  test('crops are the source pixels under the drawn flips; every epoch visits each image once', async () => {
    const folder = await ImageFolder.open(dataDir);
    const batches = new RandomCropBatches(folder, { batchSize: 2, cropSize: 16, seed: 5, vflip: true, rot90: true });
    const flips = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const batch = await batches.batch(i);
      const values = await batch.data();
      batch.dispose();
      for (let b = 0; b < 2; b++) {
        const s = await batches.sample(i * 2 + b);
        flips.add(`${s.params.hflip}${s.params.vflip}${s.params.transpose}`);
        const want = expectedCrop(images.get(s.file)!, s.params);
        expect(Buffer.from(values.slice(b * want.length, (b + 1) * want.length).buffer).equals(Buffer.from(want.buffer)), s.file).toBe(true);
      }
    }
    expect(flips.size).toBeGreaterThan(3);
    const n = folder.length;
    const order = new SampleOrder(createRng(5).fork('order'), n);
    for (let epoch = 0; epoch < 3; epoch++) {
      const seen = Array.from({ length: n }, (_, j) => order.itemAt(epoch * n + j));
      expect([...seen].sort()).toEqual([...Array(n).keys()]);
    }
    expect(order.permutation(0)).not.toEqual(order.permutation(1));
  });

  test('unreadable and too-small images are skipped deterministically and reported once each', async () => {
    const dir = join(root, 'mixed');
    await writeImageFolder(dir, 3);
    await writeFile(join(dir, 'bad.jpg'), 'garbage');
    const { writeImage } = await import('@yonos/core/node');
    await writeImage(join(dir, 'small.png'), makeRawImage(3, 8, 8));
    const run = async () => {
      const folder = await ImageFolder.open(dir);
      const skipped: UnusableImageError[] = [];
      const batches = new RandomCropBatches(folder, { batchSize: 5, cropSize: 16, seed: 1, onSkip: (e) => skipped.push(e) });
      const t = await batches.batch(0);
      const values = Buffer.from((await t.data()).buffer);
      t.dispose();
      return { values, skipped };
    };
    const first = await run();
    const second = await run();
    expect(first.values.equals(second.values)).toBe(true);
    expect(first.skipped.map((e) => e.file).sort()).toEqual(['bad.jpg', 'small.png']);
    expect(first.skipped.find((e) => e.file === 'small.png')).toBeInstanceOf(ImageTooSmallError);
    expect(first.skipped.find((e) => e.file === 'bad.jpg')).toBeInstanceOf(UnreadableImageError);

    const tiny = await ImageFolder.open(dir, { extensions: ['.jpg'] });
    await expect(new RandomCropBatches(tiny, { batchSize: 1, cropSize: 16, seed: 1 }).batch(0)).rejects.toThrow(/No usable image/);
  });

  test('validates sizes; center crop windows', async () => {
    const folder = await ImageFolder.open(dataDir);
    expect(() => new RandomCropBatches(folder, { batchSize: 1, cropSize: 12, seed: 1 })).toThrow(/multiple of 8/);
    expect(() => new RandomCropBatches(folder, { batchSize: 0, cropSize: 16, seed: 1 })).toThrow(DatasetError);
    expect(centerCropWindow(50, 30, 8)).toEqual({ top: 3, left: 1, width: 48, height: 24 });
    expect(centerCropWindow(50, 30, 8, 16)).toEqual({ top: 7, left: 17, width: 16, height: 16 });
    expect(centerCropWindow(5, 30, 8)).toBeUndefined();
  });
});
