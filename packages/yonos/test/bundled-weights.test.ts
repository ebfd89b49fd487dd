// The weights the package ships: x4 and x8 load by default (no location), and one step beats
// the bicubic on photographs that were not in the training data (examples/images), by the
// BasicSR measures the report uses (Y channel, border = scale).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '@yonos/core/node';
import { YonosPipeline, bundledScales, psnr, ssim, useBackend } from '../src/index.js';
import type { RawImage } from '../src/index.js';
// How the evaluation set's LR images are made (MATLAB imresize of uint8 pixels): the same function.
import { resizeU8 } from '../../../scripts/data/lib/u8-resize.js';

const IMAGES = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'examples', 'images');
const PHOTOS = ['astronaut', 'chelsea'];

beforeAll(async () => {
  await useBackend('wasm');
});

describe('the bundled weights', () => {
  it('ship one-step models for x4 and x8', () => {
    expect(bundledScales()).toEqual([4, 8]);
  });

  for (const scale of [4, 8]) {
    describe(`x${scale}`, () => {
      let pipe: YonosPipeline;
      beforeAll(async () => {
        pipe = await YonosPipeline.fromPretrained(undefined, { scaleFactor: scale });
      });
      afterAll(() => pipe?.dispose());

      it('loads by default and upscales one step above the bicubic (PSNR and SSIM, Y, border = scale), without leaks', async () => {
        expect(pipe.scaleFactor).toBe(scale);
        const before = tf.memory().numTensors;
        for (const name of PHOTOS) {
          const hr = await readImage(join(IMAGES, `${name}.png`));
          const lr = await resizeU8(hr, { height: hr.height / scale, width: hr.width / scale });
          const sr = (await pipe.upscale(lr, { seed: 0 })) as RawImage;
          const bicubic = await resizeU8(lr, { height: hr.height, width: hr.width });
          const options = { cropBorder: scale, testYChannel: true };
          const ours = { psnr: await psnr(sr, hr, options), ssim: await ssim(sr, hr, options) };
          const base = { psnr: await psnr(bicubic, hr, options), ssim: await ssim(bicubic, hr, options) };
          console.info(
            `bundled x${scale} on ${name}: one step ${ours.psnr.toFixed(2)} dB / ${ours.ssim.toFixed(4)}, bicubic ${base.psnr.toFixed(2)} dB / ${base.ssim.toFixed(4)}`,
          );
          expect([sr.width, sr.height]).toEqual([hr.width, hr.height]);
          expect(ours.psnr).toBeGreaterThan(base.psnr);
          expect(ours.ssim).toBeGreaterThan(base.ssim);
        }
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  }
});
