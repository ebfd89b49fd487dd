import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exists } from '../../data/lib/files.js';
import type { ReportConfig } from './config.js';
import { ReportError } from './errors.js';
import type { TimingEntry } from './results.js';

/** esrgan models whose UpscalerJS definition already uses [0, 1]: run-esrgan.mjs has no `-unit` variant of them. */
const UNIT_NATIVE: readonly string[] = ['esrgan-thick'];

/** The esrgan method names (SR folder names without `_x<S>`) a config produces. */
export function esrganMethods(config: ReportConfig): string[] {
  const unit = config.esrgan.unit_variants ? config.esrgan.models.filter((m) => !UNIT_NATIVE.includes(m)).map((m) => `${m}-unit`) : [];
  return [...config.esrgan.models, ...unit];
}

/** Arguments of one run of bench-baselines/run-esrgan.mjs. */
export interface EsrganRun {
  /** Absolute path of run-esrgan.mjs (its folder must hold its own node_modules). */
  readonly script: string;
  readonly evalDir: string;
  /** Root of the `<model>_x<S>/` folders it writes. */
  readonly outDir: string;
  readonly models: readonly string[];
  readonly scales: readonly number[];
  readonly range: 'definition' | 'unit';
  readonly repeat: number;
  /** wasm threads (the same as YONOS's in a timing run). */
  readonly threads: number;
  /** Only these images (all when absent). */
  readonly images?: readonly string[];
}

/**
 * Runs run-esrgan.mjs as a child process (its tfjs 4.11 must not share this process's
 * engine), forwarding its output lines to `log`. Resolves when it exits successfully.
 * @throws {@link ReportError} if the script or its node_modules are missing or it exits with an error.
 */
export function runEsrganScript(run: EsrganRun, log: (line: string) => void = console.log): Promise<void> {
  const folder = dirname(run.script);
  if (!exists(run.script)) return Promise.reject(new ReportError(`No ${run.script}: fix esrgan.script in the report config.`));
  if (!exists(join(folder, 'node_modules'))) {
    return Promise.reject(new ReportError(`${folder} has no node_modules: install its own dependencies first (cd ${folder} && npm ci).`));
  }
  const args = [
    run.script,
    '--eval', run.evalDir,
    '--out', run.outDir,
    '--models', run.models.join(','),
    '--scales', run.scales.join(','),
    '--range', run.range,
    '--repeat', String(run.repeat),
    '--backend', 'wasm',
    '--threads', String(run.threads),
    ...(run.images !== undefined ? ['--images', run.images.join(',')] : []),
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        log(`  esrgan: ${line}`);
        tail.push(line);
        if (tail.length > 5) tail.shift();
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', (error) => reject(new ReportError(`Could not start ${run.script}: ${error.message}.`, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new ReportError(`${run.script} exited with code ${code}; its last lines:\n${tail.join('\n')}`));
    });
  });
}

/**
 * The esrgan runs a config asks for: the UpscalerJS definitions' ranges, and [0, 1] when
 * `unit_variants`; on `threads` wasm threads.
 */
export function esrganRuns(
  config: ReportConfig,
  threads: number,
  overrides: { readonly outDir?: string; readonly images?: readonly string[]; readonly repeat?: number } = {},
): EsrganRun[] {
  const base = {
    threads,
    script: config.esrgan.script,
    evalDir: config.eval,
    outDir: overrides.outDir ?? config.sr,
    models: config.esrgan.models,
    scales: config.scales,
    repeat: overrides.repeat ?? config.esrgan.repeat,
    ...(overrides.images !== undefined ? { images: overrides.images } : {}),
  };
  const runs: EsrganRun[] = [{ ...base, range: 'definition' }];
  const unitModels = config.esrgan.models.filter((m) => !UNIT_NATIVE.includes(m));
  if (config.esrgan.unit_variants && unitModels.length > 0) runs.push({ ...base, models: unitModels, range: 'unit' });
  return runs;
}

/** The subset of run-esrgan.mjs's timings.json the report reads. */
interface EsrganTimingsFile {
  readonly method: string;
  readonly scale: number;
  readonly repeat: number;
  readonly warmupMs: number;
  readonly meanMs: number;
  readonly perImageMs: Readonly<Record<string, number>>;
  readonly env?: Readonly<Record<string, unknown>>;
  readonly package?: string;
  readonly version?: string;
}

/**
 * The timing of one esrgan folder, from the `timings.json` run-esrgan.mjs wrote.
 * @throws {@link ReportError} if the file is missing.
 */
export async function readEsrganTiming(outDir: string, method: string, scale: number): Promise<TimingEntry> {
  const path = join(outDir, `${method}_x${scale}`, 'timings.json');
  if (!exists(path)) throw new ReportError(`No ${path}: run-esrgan.mjs did not write it (see its output above).`);
  const t = JSON.parse(await readFile(path, 'utf8')) as EsrganTimingsFile;
  return {
    method,
    kind: 'esrgan',
    scale,
    images: Object.keys(t.perImageMs),
    repeats: t.repeat,
    warmupMs: t.warmupMs,
    perImageMs: t.perImageMs,
    meanMs: t.meanMs,
    env: { ...(t.env ?? {}), ...(t.package !== undefined ? { package: `${t.package}@${t.version ?? '?'}` } : {}) },
  };
}
