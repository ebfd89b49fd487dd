import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { exists } from '../../data/lib/files.js';
import type { ReportConfig } from './config.js';
import { esrganMethods } from './esrgan.js';
import type { PhaseStamp } from './machine.js';
import { meanOf, stdOf } from './stats.js';

/** What produced an SR folder. */
export type MethodKind = 'bicubic' | 'esrgan' | 'yonos';

/** PSNR (dB) and SSIM of one image. */
export interface ImageScore {
  readonly psnr: number;
  readonly ssim: number;
}

/** Scores of one SR folder (one method at one scale). */
export interface ScoreEntry {
  /** Folder name without `_x<S>`: `bicubic`, `esrgan-thick`, `distilled_s4`, ... */
  readonly method: string;
  readonly kind: MethodKind;
  readonly scale: number;
  /** YONOS only: the model key, DDIM steps, noise seed and pipeline fingerprint. */
  readonly model?: string;
  readonly steps?: number;
  readonly seed?: number;
  readonly fingerprint?: string;
  /** Mean over images of the per-image PSNR (dB), Y channel, border = scale. */
  readonly psnr: number;
  /** Mean over images of the per-image SSIM. */
  readonly ssim: number;
  /** Images whose PSNR beats bicubic's. */
  readonly winsOverBicubic: number;
  readonly perImage: Readonly<Record<string, ImageScore>>;
}

/** Wall time of one method at one scale. */
export interface TimingEntry {
  readonly method: string;
  readonly kind: MethodKind;
  readonly scale: number;
  readonly model?: string;
  readonly steps?: number;
  /** The images timed. */
  readonly images: readonly string[];
  /** Timed runs per image; the median is kept. */
  readonly repeats: number;
  /** The untimed first call (kernel set-up, weight upload). */
  readonly warmupMs: number;
  /** Median wall time per image (ms). */
  readonly perImageMs: Readonly<Record<string, number>>;
  /** Mean over the timed images of {@link perImageMs}. */
  readonly meanMs: number;
  /** Where the esrgan numbers come from (its tfjs version, backend, threads). */
  readonly env?: Readonly<Record<string, unknown>>;
}

/** A YONOS model as the report describes it. */
export interface ModelSummary {
  readonly label: string;
  readonly decoder: 'original' | 'fine-tuned';
  readonly steps: readonly number[];
  /** Pipeline folders by `x<S>`, relative to the folder of results.json (so it holds no machine's paths). */
  readonly folders: Readonly<Record<string, string>>;
}

/** docs/report/results.json: every number of the report. */
export interface ReportResults {
  readonly format: 'yonos-report/1';
  readonly metric: string;
  readonly timingMethod: string;
  readonly images: readonly string[];
  readonly scales: readonly number[];
  readonly seeds: readonly number[];
  readonly models: Readonly<Record<string, ModelSummary>>;
  /** Models of the steps sweep. */
  readonly sweep: readonly string[];
  /** The model shown as the final YONOS result. */
  readonly final: string;
  /** esrgan method names (folder names without `_x<S>`). */
  readonly esrgan: readonly string[];
  /** The esrgan method shown in the montage. */
  readonly montageEsrgan: string;
  readonly scores?: { readonly stamp: PhaseStamp; readonly entries: readonly ScoreEntry[]; readonly missing: readonly string[] };
  readonly timing?: { readonly stamp: PhaseStamp; readonly entries: readonly TimingEntry[] };
}

/** The results file of an output folder. */
export const RESULTS_FILE = 'results.json';

/** The parts of {@link ReportResults} that come from the config and the eval set. */
export function resultsHeader(config: ReportConfig, images: readonly string[]): Omit<ReportResults, 'scores' | 'timing'> {
  return {
    format: 'yonos-report/1',
    metric: 'BasicSR PSNR (dB) and SSIM on the Y channel (BT.601), crop_border = scale, mean over images',
    timingMethod:
      'wall time per image: tensor upload + upscale + download (no PNG coding), median of the repeats after one untimed warm-up call, sequential, one process',
    images,
    scales: config.scales,
    seeds: config.seeds,
    models: Object.fromEntries(
      Object.entries(config.models).map(([k, m]) => {
        const folders = Object.fromEntries(Object.entries(m.folders).map(([s, f]) => [s, relative(config.output, f)]));
        return [k, { label: m.label ?? k, decoder: m.decoder, steps: m.steps, folders }];
      }),
    ),
    sweep: config.sweep,
    final: config.final,
    esrgan: esrganMethods(config),
    montageEsrgan: config.montage.esrgan,
  };
}

/** Reads `<dir>/results.json`, or `undefined` if there is none yet. */
export async function readResults(dir: string): Promise<ReportResults | undefined> {
  const path = join(dir, RESULTS_FILE);
  return exists(path) ? (JSON.parse(await readFile(path, 'utf8')) as ReportResults) : undefined;
}

/** Writes `<dir>/results.json` atomically. */
export async function writeResults(dir: string, results: ReportResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, RESULTS_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(results, null, 1) + '\n');
  await rename(`${path}.tmp`, path);
}

/** A score averaged over seeds (`n` folders), with the spread between seeds. */
export interface SeedMean {
  readonly psnr: number;
  readonly ssim: number;
  readonly psnrStd: number;
  readonly ssimStd: number;
  readonly n: number;
}

/** The score of a method at a scale: YONOS folders of one model and step count are averaged over seeds. */
export function methodScore(
  entries: readonly ScoreEntry[],
  select: { readonly scale: number; readonly method?: string; readonly model?: string; readonly steps?: number },
): SeedMean | undefined {
  const hits = entries.filter(
    (e) =>
      e.scale === select.scale &&
      (select.method === undefined || e.method === select.method) &&
      (select.model === undefined || (e.model === select.model && e.steps === select.steps)),
  );
  if (hits.length === 0) return undefined;
  const p = hits.map((e) => e.psnr);
  const s = hits.map((e) => e.ssim);
  return { psnr: meanOf(p), ssim: meanOf(s), psnrStd: stdOf(p), ssimStd: stdOf(s), n: hits.length };
}

/** The timing of a method at a scale (YONOS: by model and steps). */
export function methodTiming(
  entries: readonly TimingEntry[] | undefined,
  select: { readonly scale: number; readonly method?: string; readonly model?: string; readonly steps?: number },
): TimingEntry | undefined {
  return entries?.find(
    (e) =>
      e.scale === select.scale &&
      (select.method === undefined || e.method === select.method) &&
      (select.model === undefined || (e.model === select.model && e.steps === select.steps)),
  );
}
