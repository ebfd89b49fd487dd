import { join } from 'node:path';
import type { ReportConfig } from './config.js';
import { ReportError } from './errors.js';

/** One SR output folder of a YONOS model: every eval image at one scale, step count and seed. */
export interface YonosJob {
  /** Key of the model in the config's `models`. */
  readonly model: string;
  readonly scale: number;
  /** DDIM steps. */
  readonly steps: number;
  /** Seed of the initial noise. */
  readonly seed: number;
  /** The pipeline folder (absolute). */
  readonly pipeline: string;
  /** The method name, `<model>_s<steps>` (plus `_seed<k>` for every seed but the first). */
  readonly method: string;
  /** The output folder `<sr>/<method>_x<scale>` (absolute). */
  readonly outDir: string;
}

/** The method name of a YONOS output folder (see {@link YonosJob.method}). */
export function yonosMethod(model: string, steps: number, seed: number, firstSeed: number): string {
  return `${model}_s${steps}${seed === firstSeed ? '' : `_seed${seed}`}`;
}

/** Every YONOS output folder the config asks for, by scale, then model, steps and seed. */
export function yonosJobs(config: ReportConfig): YonosJob[] {
  const jobs: YonosJob[] = [];
  for (const scale of config.scales) {
    for (const [model, spec] of Object.entries(config.models)) {
      const pipeline = spec.folders[`x${scale}`];
      if (pipeline === undefined) continue;
      for (const steps of spec.steps) {
        for (const seed of config.seeds) {
          const method = yonosMethod(model, steps, seed, config.seeds[0]!);
          jobs.push({ model, scale, steps, seed, pipeline, method, outDir: join(config.sr, `${method}_x${scale}`) });
        }
      }
    }
  }
  return jobs;
}

/** Which part of the work a process does: shard `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parses `--shard i/n` (1 <= i <= n).
 * @throws {@link ReportError} for anything else.
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count) {
    throw new ReportError(`--shard must look like i/n with 1 <= i <= n (e.g. 1/2 and 2/2 for two processes), got '${text}'.`);
  }
  return { index, count };
}

/**
 * Fixed cost of one upscale in U-Net-step equivalents (VAE encode + decode and image I/O):
 * measured 1.6 s for one step and 0.45 s per extra step with the recipe's models at 256x256
 * output on wasm, so one image costs about `steps + 2.5` steps.
 */
export const OVERHEAD_STEPS = 2.5;

/**
 * The jobs of one shard: every process computes the same split, so `1/2` and `2/2` together
 * do every job once. Jobs go, most expensive first, to the shard with the least work so far
 * (longest-processing-time first), so a few 200-step folders do not all land in one shard.
 * Returned in the input order.
 */
export function shardJobs(jobs: readonly YonosJob[], shard: Shard): YonosJob[] {
  const load = new Array<number>(shard.count).fill(0);
  const owner = new Map<YonosJob, number>();
  const order = [...jobs.keys()].sort((a, b) => jobs[b]!.steps - jobs[a]!.steps || a - b);
  for (const i of order) {
    let best = 0;
    for (let s = 1; s < shard.count; s++) if (load[s]! < load[best]!) best = s;
    load[best]! += jobs[i]!.steps + OVERHEAD_STEPS;
    owner.set(jobs[i]!, best + 1);
  }
  return jobs.filter((j) => owner.get(j) === shard.index);
}
