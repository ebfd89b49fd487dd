import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readImage, useBackend } from '@yonos/core/node';
import type { RawImage } from '@yonos/core';
import { YonosPipeline } from 'yonos';
import { exists } from '../../data/lib/files.js';
import { resizeU8, toRgb8 } from '../../data/lib/u8-resize.js';
import type { ReportConfig } from './config.js';
import { ReportError } from './errors.js';
import { esrganRuns, readEsrganTiming, runEsrganScript } from './esrgan.js';
import { listEvalImages, lrDir } from './eval-set.js';
import { yonosMethod } from './jobs.js';
import type { MethodKind, TimingEntry } from './results.js';
import { meanOf, median } from './stats.js';
import { reportThreads } from './threads.js';

/** Options of {@link runTiming}. */
export interface TimingOptions {
  /** Time the first N images (by name) for every method, overriding the config's counts. */
  readonly images?: number;
  /** Skip the runs whose pipeline folder does not exist instead of failing before any timing. */
  readonly allowMissing?: boolean;
  /** wasm threads for YONOS, bicubic and the esrgan models (default: the config's, see `reportThreads`). */
  readonly threads?: number;
  /** Progress lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/** What {@link runTiming} measured, and the timings it could not take. */
export interface TimingSummary {
  readonly entries: TimingEntry[];
  /** `<model>_s<steps>_x<S>` runs whose pipeline folder does not exist. */
  readonly missing: string[];
}

/** Times `call` once as a warm-up, then `repeats` times per image, keeping the median. */
async function timeImages(
  images: ReadonlyMap<string, RawImage>,
  repeats: number,
  call: (lr: RawImage) => Promise<unknown>,
): Promise<{ warmupMs: number; perImageMs: Record<string, number> }> {
  const first = images.values().next().value as RawImage;
  let t0 = performance.now();
  await call(first);
  const warmupMs = performance.now() - t0;
  const perImageMs: Record<string, number> = {};
  for (const [name, lr] of images) {
    const runs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      t0 = performance.now();
      await call(lr);
      runs.push(performance.now() - t0);
    }
    perImageMs[name] = median(runs);
  }
  return { warmupMs, perImageMs };
}

function entry(
  base: { method: string; kind: MethodKind; scale: number; model?: string; steps?: number },
  repeats: number,
  timed: { warmupMs: number; perImageMs: Record<string, number> },
): TimingEntry {
  return {
    ...base,
    images: Object.keys(timed.perImageMs),
    repeats,
    warmupMs: timed.warmupMs,
    perImageMs: timed.perImageMs,
    meanMs: meanOf(Object.values(timed.perImageMs)),
  };
}

/**
 * Measures the wall time per image, sequentially in this process on the config's backend
 * (wasm, on `threads` threads, and the esrgan models on as many): core's bicubic (`resizeU8`:
 * upload, MATLAB imresize, round, download), every `timing.runs` YONOS model and step count at
 * every scale it has a folder for (one untimed one-step warm-up call per pipeline), and the
 * esrgan models through run-esrgan.mjs on the same images (a child process started now,
 * writing to a temporary folder so the quality outputs stay as they are). Each image: the
 * median of the repeats.
 * @throws {@link ReportError} for a missing eval set or pipeline folder (unless `allowMissing`), a
 *   failed esrgan run, an esrgan run on another thread count, or leaked tensors.
 */
export async function runTiming(config: ReportConfig, options: TimingOptions = {}): Promise<TimingSummary> {
  const log = options.log ?? console.log;
  const names = await listEvalImages(config.eval, config.scales);
  const pick = (count: number | undefined) => names.slice(0, options.images ?? count ?? config.timing.images ?? names.length);
  const lrCache = new Map<string, RawImage>();
  const lrImages = async (scale: number, subset: readonly string[]) => {
    const out = new Map<string, RawImage>();
    for (const n of subset) {
      const key = `${scale}/${n}`;
      if (!lrCache.has(key)) lrCache.set(key, toRgb8(await readImage(join(lrDir(config.eval, scale), `${n}.png`))));
      out.set(n, lrCache.get(key)!);
    }
    return out;
  };
  const missing = config.timing.runs.flatMap((run) =>
    config.scales
      .filter((scale) => {
        const folder = config.models[run.model]!.folders[`x${scale}`];
        return folder !== undefined && !exists(join(folder, 'model_index.json'));
      })
      .map((scale) => `${yonosMethod(run.model, run.steps, config.seeds[0]!, config.seeds[0]!)}_x${scale}`),
  );
  if (missing.length > 0 && options.allowMissing !== true) {
    throw new ReportError(`No pipeline folder for the timing runs ${missing.join(', ')}: train these models first, fix their paths, or pass --allow-missing.`);
  }
  const threads = options.threads ?? reportThreads(config.threads).threads;
  await useBackend(config.backend, config.backend === 'wasm' ? { wasmThreads: threads } : {});
  const entries: TimingEntry[] = [];
  const repeats = config.timing.repeats;

  if (config.timing.bicubic) {
    for (const scale of config.scales) {
      const timed = await timeImages(await lrImages(scale, pick(undefined)), repeats, (lr) => resizeU8(lr, scale));
      entries.push(entry({ method: 'bicubic', kind: 'bicubic', scale }, repeats, timed));
      log(`timing x${scale} bicubic: ${entries.at(-1)!.meanMs.toFixed(1)} ms/image`);
    }
  }

  if (config.timing.esrgan && config.esrgan.models.length > 0) {
    const outDir = await mkdtemp(join(tmpdir(), 'yonos-report-esrgan-'));
    try {
      const [run] = esrganRuns(config, threads, { outDir, images: pick(undefined), repeat: repeats });
      await runEsrganScript(run!, log);
      for (const scale of config.scales) {
        for (const model of config.esrgan.models) {
          const timed = await readEsrganTiming(outDir, model, scale);
          // Compared side by side, both must run on the same pool size.
          if (config.backend === 'wasm' && timed.env?.['wasmThreads'] !== threads) {
            throw new ReportError(`${model} x${scale} was timed on ${String(timed.env?.['wasmThreads'])} wasm threads, YONOS on ${threads}: run-esrgan.mjs did not take --threads ${threads}.`);
          }
          entries.push(timed);
        }
      }
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }

  for (const run of config.timing.runs) {
    const model = config.models[run.model]!;
    const runRepeats = run.repeats ?? repeats;
    for (const scale of config.scales) {
      const folder = model.folders[`x${scale}`];
      if (folder === undefined) continue;
      const method = yonosMethod(run.model, run.steps, config.seeds[0]!, config.seeds[0]!);
      if (missing.includes(`${method}_x${scale}`)) {
        log(`timing x${scale} ${method}: no pipeline at ${folder}, skipped`);
        continue;
      }
      const before = tf.memory().numTensors;
      const pipe = await YonosPipeline.fromPretrained(folder);
      try {
        const images = await lrImages(scale, pick(run.images));
        const seed = config.seeds[0]!;
        // The warm-up is one step whatever the run's count: it sets up every kernel, and a
        // 200-step warm-up would only double the cost.
        let warm = true;
        const timed = await timeImages(images, runRepeats, (lr) => {
          const steps = warm ? 1 : run.steps;
          warm = false;
          return pipe.upscale(lr, { scale, steps, seed, tile: config.tile });
        });
        entries.push(entry({ method, kind: 'yonos', scale, model: run.model, steps: run.steps }, runRepeats, timed));
        log(`timing x${scale} ${method}: ${entries.at(-1)!.meanMs.toFixed(0)} ms/image over ${images.size} images`);
      } finally {
        pipe.dispose();
      }
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) throw new ReportError(`${leaked} tensors leaked while timing ${folder}: a bug in the pipeline or this harness.`);
    }
  }
  return { entries, missing };
}
