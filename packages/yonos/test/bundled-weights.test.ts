// The weights the package ships: x4 and x8 load by default (no location), and one step scores on
// photographs that were not in the training data (examples/images) what the evaluation report
// (docs/report/results.json) measured for the same model on the same images, by the same BasicSR
// measures (Y channel, border = scale): the output is deterministic, so the scores are pinned.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '@yonos/core/node';
import { YonosPipeline, bundledScales, psnr, ssim, useBackend } from '../src/index.js';
import type { RawImage } from '../src/index.js';
// How the evaluation set's LR images are made (MATLAB imresize of uint8 pixels): the same function.
import { resizeU8 } from '../../../scripts/data/lib/u8-resize.js';
// How the report identifies the model it scored.
import { pipelineFingerprint } from '../../../scripts/report/lib/run-record.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const IMAGES = join(ROOT, 'examples', 'images');
const MODEL = join(ROOT, 'packages', 'yonos', 'model');
const PHOTOS = ['astronaut', 'chelsea'];
/** How far a score may move from the report's: float rounding only (the run is deterministic). */
const PSNR_TOL = 0.02;
const SSIM_TOL = 0.001;

/** The report's entry for the bundled model at one step: its fingerprint and per-image scores. */
interface ReportEntry {
  readonly fingerprint: string;
  readonly perImage: Readonly<Record<string, { readonly psnr: number; readonly ssim: number }>>;
}

function reportEntry(scale: number): ReportEntry {
  const results = JSON.parse(readFileSync(join(ROOT, 'docs', 'report', 'results.json'), 'utf8')) as {
    scores: { entries: Array<ReportEntry & { method: string; scale: number; model?: string; steps?: number; seed?: number }> };
  };
  const entry = results.scores.entries.find((e) => e.model === 'final' && e.steps === 1 && e.seed === 0 && e.scale === scale);
  if (entry === undefined) throw new Error(`docs/report/results.json has no one-step score of the bundled x${scale} model`);
  return entry;
}

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
      const report = reportEntry(scale);
      beforeAll(async () => {
        pipe = await YonosPipeline.fromPretrained(undefined, { scale });
      });
      afterAll(() => pipe?.dispose());

      it('is the model the evaluation report scored', async () => {
        expect(
          await pipelineFingerprint(join(MODEL, `x${scale}`)),
          `packages/yonos/model/x${scale} changed since docs/report/results.json was written: rerun the report ` +
            '(scripts/report/README.md) so that it, the model card and these pinned scores describe the shipped model',
        ).toBe(report.fingerprint);
      });

      it(`loads by default and scores the report's PSNR (±${PSNR_TOL} dB) and SSIM (±${SSIM_TOL}) on each image, above bicubic, without leaks`, async () => {
        expect(pipe.scale).toBe(scale);
        const before = tf.memory().numTensors;
        for (const name of PHOTOS) {
          const pinned = report.perImage[name];
          expect(pinned, `results.json has no x${scale} score for ${name}`).toBeDefined();
          const hr = await readImage(join(IMAGES, `${name}.png`));
          const lr = await resizeU8(hr, { height: hr.height / scale, width: hr.width / scale });
          const sr = (await pipe.upscale(lr, { seed: 0 })) as RawImage;
          const bicubic = await resizeU8(lr, { height: hr.height, width: hr.width });
          const options = { cropBorder: scale, testYChannel: true };
          const ours = { psnr: await psnr(sr, hr, options), ssim: await ssim(sr, hr, options) };
          const base = { psnr: await psnr(bicubic, hr, options), ssim: await ssim(bicubic, hr, options) };
          console.info(
            `bundled x${scale} on ${name}: one step ${ours.psnr.toFixed(4)} dB / ${ours.ssim.toFixed(5)} ` +
              `(report ${pinned!.psnr.toFixed(4)} / ${pinned!.ssim.toFixed(5)}), bicubic ${base.psnr.toFixed(2)} dB / ${base.ssim.toFixed(4)}`,
          );
          expect([sr.width, sr.height]).toEqual([hr.width, hr.height]);
          expect(Math.abs(ours.psnr - pinned!.psnr), `${name} x${scale} PSNR ${ours.psnr} vs the report's ${pinned!.psnr}`).toBeLessThanOrEqual(PSNR_TOL);
          expect(Math.abs(ours.ssim - pinned!.ssim), `${name} x${scale} SSIM ${ours.ssim} vs the report's ${pinned!.ssim}`).toBeLessThanOrEqual(SSIM_TOL);
          expect(ours.psnr).toBeGreaterThan(base.psnr);
          expect(ours.ssim).toBeGreaterThan(base.ssim);
        }
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  }
});
