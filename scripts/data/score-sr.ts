/**
 * Scores super-resolved eval images: PSNR and SSIM with BasicSR's definitions (Y channel,
 * border = scale) against `data/eval/hr`, for the bicubic baseline (made here with core's
 * MATLAB-compatible bicubic and written to `sr/bicubic_x<S>/`) and for every folder
 * `sr/<method>_x<S>/` another tool wrote (e.g. bench-baselines/run-esrgan.mjs; its
 * `timings.json` adds the wall time per image).
 *
 *   npx tsx --conditions=source scripts/data/score-sr.ts [--scales 4,8] [--per-image]
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readImage, useBackend, writeImage } from '@yonos/core/node';
import type { RawImage } from '@yonos/core';
import { integerListFlag, parseFlags, stringFlag } from './lib/args.js';
import { DataScriptError } from './lib/errors.js';
import { exists, prepareOutputFolder } from './lib/files.js';
import { mean, scorePair } from './lib/score.js';
import type { PairScore } from './lib/score.js';
import { resizeU8, toRgb8 } from './lib/u8-resize.js';

const USAGE = 'Usage: npx tsx --conditions=source scripts/data/score-sr.ts [flags]';
const FLAGS = [
  { name: 'eval', help: 'eval folder made by make-eval-set.ts', default: 'data/eval' },
  { name: 'sr', help: 'folder of <method>_x<S>/ SR outputs (default <eval>/sr)', default: '' },
  { name: 'scales', help: 'comma-separated scales to score', default: '4,8' },
  { name: 'json', help: 'where to write all scores (default <eval>/results.json)', default: '' },
  { name: 'per-image', help: 'also print every image’s scores' },
];

interface MethodResult {
  readonly method: string;
  readonly scale: number;
  readonly psnr: number;
  readonly ssim: number;
  /** Images where this method's PSNR beats bicubic's. */
  readonly winsOverBicubic: number;
  readonly meanMs?: number;
  readonly backend?: string;
  readonly perImage: Record<string, PairScore & { ms?: number }>;
}

async function readRgb(path: string): Promise<RawImage> {
  return toRgb8(await readImage(path));
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags === undefined) return;
  const evalDir = resolve(stringFlag(flags, 'eval'));
  const srRoot = resolve(flags['sr'] || join(evalDir, 'sr'));
  const scales = integerListFlag(flags, 'scales');
  await useBackend('cpu');
  const hrDir = join(evalDir, 'hr');
  if (!exists(hrDir)) throw new DataScriptError(`No ${hrDir}: run scripts/data/make-eval-set.ts first.`);
  const names = (await readdir(hrDir)).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
  const hr = new Map<string, RawImage>();
  for (const n of names) hr.set(n, await readRgb(join(hrDir, `${n}.png`)));

  const results: MethodResult[] = [];
  for (const scale of scales) {
    const bicubicDir = join(srRoot, `bicubic_x${scale}`);
    await prepareOutputFolder(bicubicDir, ['.png']);
    for (const n of names) {
      const lr = await readRgb(join(evalDir, `lr_x${scale}`, `${n}.png`));
      await writeImage(join(bicubicDir, `${n}.png`), await resizeU8(lr, scale));
    }
    const methods = (await readdir(srRoot, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && d.name.endsWith(`_x${scale}`))
      .map((d) => d.name.slice(0, -`_x${scale}`.length))
      .sort((a, b) => (a === 'bicubic' ? -1 : b === 'bicubic' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    let bicubic: Record<string, PairScore> = {};
    for (const method of methods) {
      const dir = join(srRoot, `${method}_x${scale}`);
      const timings = exists(join(dir, 'timings.json'))
        ? (JSON.parse(await readFile(join(dir, 'timings.json'), 'utf8')) as { meanMs?: number; perImageMs?: Record<string, number>; env?: { backend?: string } })
        : undefined;
      const perImage: Record<string, PairScore & { ms?: number }> = {};
      const missing = names.filter((n) => !exists(join(dir, `${n}.png`)));
      if (missing.length > 0) {
        console.log(`${method} x${scale}: skipped, missing ${missing.join(', ')}`);
        continue;
      }
      for (const n of names) {
        const sr = await readRgb(join(dir, `${n}.png`));
        const ref = hr.get(n)!;
        if (sr.width !== ref.width || sr.height !== ref.height) {
          throw new DataScriptError(`${dir}/${n}.png is ${sr.width}x${sr.height} but its HR is ${ref.width}x${ref.height}.`);
        }
        const ms = timings?.perImageMs?.[n];
        perImage[n] = { ...scorePair(sr, ref, scale), ...(ms !== undefined ? { ms } : {}) };
      }
      if (method === 'bicubic') bicubic = perImage;
      const wins = names.filter((n) => perImage[n]!.psnr > (bicubic[n]?.psnr ?? Infinity)).length;
      results.push({
        method,
        scale,
        psnr: mean(names.map((n) => perImage[n]!.psnr)),
        ssim: mean(names.map((n) => perImage[n]!.ssim)),
        winsOverBicubic: wins,
        ...(timings?.meanMs !== undefined ? { meanMs: timings.meanMs } : {}),
        ...(timings?.env?.backend !== undefined ? { backend: timings.env.backend } : {}),
        perImage,
      });
    }
  }

  console.log(`\n${names.length} images, PSNR/SSIM on Y, border = scale (BasicSR)\n`);
  console.log('| method | scale | PSNR (dB) | SSIM | PSNR > bicubic | ms/image |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const time = r.meanMs !== undefined ? `${r.meanMs.toFixed(0)} (${r.backend ?? '?'})` : '';
    console.log(`| ${r.method} | x${r.scale} | ${r.psnr.toFixed(2)} | ${r.ssim.toFixed(4)} | ${r.method === 'bicubic' ? '' : `${r.winsOverBicubic}/${names.length}`} | ${time} |`);
  }
  if (flags['per-image'] === 'true') {
    for (const r of results) {
      console.log(`\n${r.method} x${r.scale}: ` + names.map((n) => `${n} ${r.perImage[n]!.psnr.toFixed(2)}/${r.perImage[n]!.ssim.toFixed(4)}`).join(', '));
    }
  }
  const jsonPath = resolve(flags['json'] || join(evalDir, 'results.json'));
  await writeFile(jsonPath, JSON.stringify({ metric: 'BasicSR PSNR/SSIM, Y channel, crop_border = scale', images: names, results }, null, 1) + '\n');
  console.log(`\nscores written to ${jsonPath}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof DataScriptError ? `error: ${error.message}` : error);
  process.exit(1);
});
