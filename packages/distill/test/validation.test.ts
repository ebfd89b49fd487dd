// Validation: PSNR/SSIM over a held-out folder and sample images.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imresize, useBackend } from '@yonos/core';
import { readImage } from '@yonos/core/node';
import { ImageFolder, validateSuperResolution } from '../src/index.js';
import { rectToRgb } from '../src/data/index.js';
import { removeDir, tempDir } from './helpers/fs.js';
import { writeImageFolder } from './helpers/images.js';

let root: string;
let folder: ImageFolder;

beforeAll(async () => {
  await useBackend('cpu');
  root = await tempDir();
  await writeImageFolder(join(root, 'val'), 3, { width: 40, height: 36 });
  folder = await ImageFolder.open(join(root, 'val'));
});

afterAll(async () => {
  await removeDir(root);
});

/** PSNR of two 8-bit RGB images with a border crop, written out from the definition. */
function psnrByHand(a: Uint8Array, b: Uint8Array, w: number, h: number, border: number): number {
  let sum = 0;
  let n = 0;
  for (let y = border; y < h - border; y++) {
    for (let x = border; x < w - border; x++) {
      for (let k = 0; k < 3; k++) {
        const d = a[(y * w + x) * 3 + k]! - b[(y * w + x) * 3 + k]!;
        sum += d * d;
        n++;
      }
    }
  }
  return 10 * Math.log10((255 * 255) / (sum / n));
}

describe('validateSuperResolution', () => {
  test('an oracle scores Infinity / 1; bicubic scores what the definition gives; samples are written; leak-free', async () => {
    const scale = 2;
    // The oracle returns the HR crop it was derived from (known here through the same window).
    const hrCrops: Float32Array[] = [];
    for (let i = 0; i < folder.length; i++) {
      const raw = await folder.read(i);
      hrCrops.push(rectToRgb(raw, 2, 4, 32, 32)); // 40x36, maxSize 32 -> centered 32x32
    }
    let call = 0;
    const before = tf.memory().numTensors;
    const oracle = await validateSuperResolution({
      dataset: folder,
      scale,
      maxSize: 32,
      predict: (lr) => {
        expect(lr.shape).toEqual([1, 16, 16, 3]);
        return tf.tensor4d(hrCrops[call++]!, [1, 32, 32, 3]);
      },
    });
    expect(oracle.count).toBe(3);
    expect(oracle.psnr).toBe(Number.POSITIVE_INFINITY);
    expect(oracle.ssim).toBeCloseTo(1, 12);

    const upsample = (lr: tf.Tensor4D) => imresize(lr, scale);
    const bicubic = await validateSuperResolution({ dataset: folder, scale, maxSize: 32, predict: upsample, samplesDir: join(root, 'samples'), sampleCount: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(bicubic.samples.map((p) => p.split('/').at(-1))).toEqual(['img-0.png', 'img-1.png']);

    // Recompute image 0 by hand: HR -> bicubic down -> 8-bit -> bicubic up -> 8-bit -> PSNR.
    const q = (v: Float32Array | Uint8Array | Int32Array) => Uint8Array.from(v, (x) => Math.round(Math.min(1, Math.max(0, x)) * 255));
    const sr = tf.tidy(() => {
      const lr = tf.div(tf.round(tf.mul(tf.clipByValue(imresize(tf.tensor4d(hrCrops[0]!, [1, 32, 32, 3]), 1 / scale), 0, 1), 255)), 255);
      return imresize(lr as tf.Tensor4D, scale);
    });
    const srBytes = q(await sr.data());
    sr.dispose();
    const expected = psnrByHand(srBytes, q(hrCrops[0]!), 32, 32, scale);
    expect(Math.abs(bicubic.images[0]!.psnr - expected)).toBeLessThan(1e-9);
    expect(bicubic.images[0]!.psnr).toBeGreaterThan(10);
    expect(bicubic.ssim).toBeGreaterThan(0);
    expect(bicubic.ssim).toBeLessThan(1);
    const sample = await readImage(bicubic.samples[0]!);
    expect(sample.width).toBe(32);
    expect(Buffer.from(sample.data).equals(Buffer.from(srBytes))).toBe(true);
  });

  test('rejects a prediction of the wrong size with a clear message', async () => {
    await expect(
      validateSuperResolution({ dataset: folder, scale: 2, maxSize: 32, predict: (lr) => tf.clone(lr) }),
    ).rejects.toThrow(/expected \[1, 32, 32, 3\]/);
  });
});
