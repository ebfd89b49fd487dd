import { join } from 'node:path';
import { readImage, useBackend, writeImage } from '@yonos/core/node';
import type { RawImage } from '@yonos/core';
import { exists, prepareOutputFolder } from '../../data/lib/files.js';
import { mean, scorePair } from '../../data/lib/score.js';
import { resizeU8, toRgb8 } from '../../data/lib/u8-resize.js';
import type { ReportConfig } from './config.js';
import { ReportError } from './errors.js';
import { esrganMethods } from './esrgan.js';
import { hrDir, listEvalImages, lrDir } from './eval-set.js';
import { yonosJobs } from './jobs.js';
import type { ImageScore, MethodKind, ScoreEntry } from './results.js';
import { isComplete, readRunRecord } from './run-record.js';

/** What {@link scoreAll} found. */
export interface ScoreSummary {
  readonly images: string[];
  readonly entries: ScoreEntry[];
  /** SR folders (`<method>_x<S>`) the config lists that are missing or incomplete. */
  readonly missing: string[];
}

async function readRgb(path: string): Promise<RawImage> {
  return toRgb8(await readImage(path));
}

/** One folder to score. */
interface Candidate {
  readonly method: string;
  readonly kind: MethodKind;
  readonly extra: Pick<ScoreEntry, 'model' | 'steps' | 'seed' | 'fingerprint'>;
}

/**
 * Scores every SR folder of the config against the HR images with BasicSR's PSNR and SSIM
 * (scripts/data's `scorePair`: Y channel, border = scale), after writing the bicubic baseline
 * `<sr>/bicubic_x<S>/` (core's MATLAB bicubic of the 8-bit LR, rounded, as score-sr.ts does).
 * esrgan folders count when they hold every image; YONOS folders when their `run.json` says
 * complete. Runs on tfjs's cpu backend (the bicubic must match score-sr.ts's bytes).
 * @throws {@link ReportError} for a missing eval set or an SR image of the wrong size.
 */
export async function scoreAll(config: ReportConfig, log: (line: string) => void = console.log): Promise<ScoreSummary> {
  const names = await listEvalImages(config.eval, config.scales);
  await useBackend('cpu');
  const hr = new Map<string, RawImage>();
  for (const n of names) hr.set(n, await readRgb(join(hrDir(config.eval), `${n}.png`)));
  const entries: ScoreEntry[] = [];
  const missing: string[] = [];
  const jobs = yonosJobs(config);
  for (const scale of config.scales) {
    const bicubicDir = join(config.sr, `bicubic_x${scale}`);
    await prepareOutputFolder(bicubicDir, ['.png']);
    for (const n of names) {
      await writeImage(join(bicubicDir, `${n}.png`), await resizeU8(await readRgb(join(lrDir(config.eval, scale), `${n}.png`)), scale));
    }
    const candidates: Candidate[] = [
      { method: 'bicubic', kind: 'bicubic', extra: {} },
      ...esrganMethods(config).map((method): Candidate => ({ method, kind: 'esrgan', extra: {} })),
    ];
    for (const job of jobs.filter((j) => j.scale === scale)) {
      const record = await readRunRecord(job.outDir);
      if (!isComplete(job.outDir, record, names)) {
        missing.push(`${job.method}_x${scale}`);
        continue;
      }
      candidates.push({ method: job.method, kind: 'yonos', extra: { model: job.model, steps: job.steps, seed: job.seed, fingerprint: record!.fingerprint } });
    }
    let bicubic: Readonly<Record<string, ImageScore>> = {};
    for (const c of candidates) {
      const dir = join(config.sr, `${c.method}_x${scale}`);
      if (!names.every((n) => exists(join(dir, `${n}.png`)))) {
        missing.push(`${c.method}_x${scale}`);
        continue;
      }
      const perImage: Record<string, ImageScore> = {};
      for (const n of names) {
        const sr = await readRgb(join(dir, `${n}.png`));
        const ref = hr.get(n)!;
        if (sr.width !== ref.width || sr.height !== ref.height) {
          throw new ReportError(`${dir}/${n}.png is ${sr.width}x${sr.height} but its HR image is ${ref.width}x${ref.height}: regenerate that folder (--force).`);
        }
        perImage[n] = scorePair(sr, ref, scale);
      }
      if (c.kind === 'bicubic') bicubic = perImage;
      const entry: ScoreEntry = {
        method: c.method,
        kind: c.kind,
        scale,
        ...c.extra,
        psnr: mean(names.map((n) => perImage[n]!.psnr)),
        ssim: mean(names.map((n) => perImage[n]!.ssim)),
        winsOverBicubic: names.filter((n) => perImage[n]!.psnr > (bicubic[n]?.psnr ?? Infinity)).length,
        perImage,
      };
      entries.push(entry);
      log(`score x${scale} ${c.method}: PSNR ${entry.psnr.toFixed(2)} dB, SSIM ${entry.ssim.toFixed(4)}`);
    }
  }
  if (missing.length > 0) log(`score: not scored (missing or incomplete): ${missing.join(', ')}`);
  return { images: names, entries, missing };
}
