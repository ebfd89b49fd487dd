import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage } from '@yonos/core/node';
import type { RawImage } from '@yonos/core';
import { resizeU8 } from '../../data/lib/u8-resize.js';
import type { ReportConfigInput } from '../lib/config.js';
export { writeTinyPipeline } from '../lib/stand-in.js';

const made: string[] = [];

/** A new empty temporary folder, deleted by {@link removeTempDirs}. */
export async function tempDir(prefix = 'yonos-report-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Deletes the folders {@link tempDir} made (call from `afterAll`). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/**
 * A deterministic photo-like 8-bit RGB image: smooth gradients plus a sinusoidal texture
 * (so bicubic does not reconstruct it exactly and PSNRs are finite). `gray` replicates one channel.
 */
export function syntheticImage(size: number, variant: number, gray = false): RawImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        const ch = gray ? 0 : c;
        const v = 128 + 60 * Math.sin((x + 3 * variant) / (2.1 + ch)) * Math.cos((y - variant) / (3.3 - 0.7 * ch)) + 40 * ((x + y * (ch + 1)) / (2 * size) - 0.5);
        data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data, width: size, height: size, channels: 3, bitDepth: 8 };
}

/**
 * Writes an eval-like set into `dir` as make-eval-set.ts lays it out: `hr/<name>.png` and
 * `lr_x<S>/<name>.png` (MATLAB bicubic of the 8-bit HR, rounded). Needs an active backend.
 */
export async function writeEvalSet(dir: string, names: readonly string[], size: number, scales: readonly number[]): Promise<void> {
  await mkdir(join(dir, 'hr'), { recursive: true });
  for (const [i, name] of names.entries()) {
    const hr = syntheticImage(size, i + 1, i % 2 === 1);
    await writeImage(join(dir, 'hr', `${name}.png`), hr);
    for (const s of scales) {
      await mkdir(join(dir, `lr_x${s}`), { recursive: true });
      await writeImage(join(dir, `lr_x${s}`, `${name}.png`), await resizeU8(hr, 1 / s));
    }
  }
}

/** A valid report config (paths relative to its folder) for the given scales and models. */
export function sampleConfig(overrides: Partial<ReportConfigInput> = {}): ReportConfigInput {
  return {
    eval: 'eval',
    sr: 'eval/sr',
    output: 'report',
    scales: [4],
    seeds: [0],
    models: {
      direct: { decoder: 'original', steps: [1, 2], folders: { x4: 'models/direct-x4' } },
      final: { label: 'YONOS one-step', decoder: 'fine-tuned', steps: [1], folders: { x4: 'models/final-x4' } },
    },
    sweep: ['direct'],
    final: 'final',
    esrgan: { script: 'esrgan/run-esrgan.mjs', models: ['esrgan-thick'] },
    timing: { runs: [{ model: 'final', steps: 1 }] },
    montage: { esrgan: 'esrgan-thick', crops: [{ image: 'a', left: 0, top: 0, size: 8 }] },
    ...overrides,
  };
}

/** Writes `config` as JSON to `<dir>/report.config.json` and returns the path. */
export async function writeConfig(dir: string, config: unknown): Promise<string> {
  const path = join(dir, 'report.config.json');
  await writeFile(path, JSON.stringify(config, null, 1));
  return path;
}

/**
 * A stand-in for bench-baselines/run-esrgan.mjs (same flags and outputs, no model): for every
 * model and scale it copies each image's HR file under the *next* image's name (so scores are
 * finite and known to be wrong) and writes a timings.json with `perImageMs` 100, 200, ...
 * and `env.wasmThreads` = `--threads` (or `FAKE_ESRGAN_THREADS` when set, to play a run that
 * ignored the flag). It fails with exit code 3 when asked for esrgan-slim.
 */
export const FAKE_ESRGAN = `
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
const { values: a } = parseArgs({ options: { eval: { type: 'string' }, out: { type: 'string' }, models: { type: 'string' }, scales: { type: 'string' },
  range: { type: 'string' }, repeat: { type: 'string' }, backend: { type: 'string' }, images: { type: 'string' }, threads: { type: 'string' } } });
const wasmThreads = Number(process.env.FAKE_ESRGAN_THREADS ?? a.threads);
const models = a.models.split(',');
if (models.includes('esrgan-slim')) { console.error('no such model here'); process.exit(3); }
let names = (await readdir(join(a.eval, 'hr'))).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
if (a.images) names = names.filter((n) => a.images.split(',').includes(n));
for (const scale of a.scales.split(',')) {
  for (const model of models) {
    const method = a.range === 'unit' ? model + '-unit' : model;
    const dir = join(a.out, method + '_x' + scale);
    await mkdir(dir, { recursive: true });
    const perImageMs = {};
    names.forEach((n, i) => { perImageMs[n] = 100 * (i + 1); });
    for (const [i, n] of names.entries()) await copyFile(join(a.eval, 'hr', names[(i + 1) % names.length] + '.png'), join(dir, n + '.png'));
    const times = Object.values(perImageMs);
    await writeFile(join(dir, 'timings.json'), JSON.stringify({ method, scale: Number(scale), repeat: Number(a.repeat), warmupMs: 5, meanMs: times.reduce((x, y) => x + y, 0) / times.length, perImageMs, env: { tfjs: 'fake', backend: a.backend, wasmThreads, wasmSimd: true }, package: '@fake/' + model, version: '0.0.0' }));
    console.log(method + ' x' + scale + ': ' + names.length + ' images');
  }
}
`;

/** Writes {@link FAKE_ESRGAN} as `<dir>/run-esrgan.mjs` with an (empty) node_modules beside it; returns the script path. */
export async function writeFakeEsrgan(dir: string): Promise<string> {
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  const path = join(dir, 'run-esrgan.mjs');
  await writeFile(path, FAKE_ESRGAN);
  return path;
}
