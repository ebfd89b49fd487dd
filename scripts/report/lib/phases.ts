import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportConfig } from './config.js';
import { ReportError } from './errors.js';
import { esrganRuns, runEsrganScript } from './esrgan.js';
import { listEvalImages } from './eval-set.js';
import type { Shard } from './jobs.js';
import { stamped } from './machine.js';
import { resultsMarkdown } from './markdown.js';
import { writePlots } from './plots.js';
import { runQuality } from './quality.js';
import { readResults, resultsHeader, writeResults } from './results.js';
import type { ReportResults } from './results.js';
import { scoreAll } from './score-phase.js';
import { reportThreads } from './threads.js';
import type { ThreadsSetting } from './threads.js';
import { runTiming } from './timing.js';

/** The phases of a report run, in the order they run. */
export const PHASES = ['quality', 'esrgan', 'timing', 'score', 'plots'] as const;

/** A phase of {@link PHASES}. */
export type Phase = (typeof PHASES)[number];

/** Options of {@link runReport}. */
export interface ReportRunOptions {
  /** Phases to run (always in {@link PHASES} order). */
  readonly phases: readonly Phase[];
  /** quality: redo complete folders. */
  readonly force?: boolean;
  /** quality: this process's share of the folders. */
  readonly shard?: Shard;
  /** quality and timing: go on without the pipeline folders that do not exist yet. */
  readonly allowMissing?: boolean;
  /** timing: time only the first N images for every method. */
  readonly timingImages?: number;
  /** quality, esrgan, timing: wasm threads, over the config's `threads` (`--threads`). */
  readonly threads?: ThreadsSetting;
  /** Progress lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/**
 * Parses a comma-separated phase list (`all` for every phase).
 * @throws {@link ReportError} naming an unknown phase.
 */
export function parsePhases(text: string): Phase[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.includes('all')) return [...PHASES];
  const unknown = items.filter((s) => !(PHASES as readonly string[]).includes(s));
  if (unknown.length > 0 || items.length === 0) {
    throw new ReportError(`--phases takes a comma-separated list of ${PHASES.join(', ')} (or all); got '${text}'.`);
  }
  return PHASES.filter((p) => items.includes(p));
}

/** Writes results.json and regenerates results.md from it. */
async function save(config: ReportConfig, results: ReportResults): Promise<void> {
  await writeResults(config.output, results);
  await writeFile(join(config.output, 'results.md'), resultsMarkdown(results));
}

/**
 * Runs the chosen phases of the report in order: `quality` (YONOS SR folders), `esrgan`
 * (run-esrgan.mjs writes its SR folders), `timing` (wall time per image, recorded in
 * results.json), `score` (PSNR/SSIM of every folder into results.json), `plots` (charts and
 * montages). results.md is rewritten whenever results.json changes. Phases recorded in an
 * earlier run (scores, timings) are kept, so a long report can be made in several runs.
 * @throws {@link ReportError} from a phase (missing eval set or models, failed esrgan run...).
 */
export async function runReport(config: ReportConfig, options: ReportRunOptions): Promise<ReportResults | undefined> {
  const log = options.log ?? console.log;
  const has = (p: Phase) => options.phases.includes(p);
  if (options.shard !== undefined && options.phases.some((p) => p !== 'quality')) {
    throw new ReportError('--shard only splits the quality phase: run the other phases in one process (--phases quality --shard i/n).');
  }
  // One count for the whole run: wasm keeps the count it started with, and YONOS and the
  // esrgan models are timed on the same one. Resolved only by the phases that run wasm.
  let threads: number | undefined;
  const wasmThreads = (): number => {
    if (threads === undefined) {
      const resolved = reportThreads(config.threads, options.threads);
      log(`wasm threads: ${resolved.threads} (${resolved.source})`);
      threads = resolved.threads;
    }
    return threads;
  };
  if (has('quality')) {
    const s = await runQuality(config, {
      threads: wasmThreads(),
      ...(options.force !== undefined ? { force: options.force } : {}),
      ...(options.shard !== undefined ? { shard: options.shard } : {}),
      ...(options.allowMissing !== undefined ? { allowMissing: options.allowMissing } : {}),
      log,
    });
    log(`quality: ${s.written.length} folders written, ${s.skipped.length} already complete${s.missing.length > 0 ? `, ${s.missing.length} without a model (${s.missing.join(', ')})` : ''}`);
  }
  if (has('esrgan')) {
    for (const run of esrganRuns(config, wasmThreads())) await runEsrganScript(run, log);
  }
  if (!has('timing') && !has('score') && !has('plots')) return undefined;
  const images = await listEvalImages(config.eval, config.scales);
  let results: ReportResults = { ...(await readResults(config.output)), ...resultsHeader(config, images) };
  if (has('timing')) {
    const { result, stamp } = await stamped(() =>
      runTiming(config, {
        threads: wasmThreads(),
        ...(options.timingImages !== undefined ? { images: options.timingImages } : {}),
        ...(options.allowMissing !== undefined ? { allowMissing: options.allowMissing } : {}),
        log,
      }),
    );
    results = { ...results, timing: { stamp, entries: result.entries } };
    await save(config, results);
  }
  if (has('score')) {
    const { result, stamp } = await stamped(() => scoreAll(config, log));
    results = { ...results, scores: { stamp, entries: result.entries, missing: result.missing } };
    await save(config, results);
  }
  if (has('plots')) {
    await writePlots(config, results, log);
    await save(config, results);
  }
  return results;
}
