import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo, readImage, useBackend, writeImage } from '@yonos/core/node';
import { YonosPipeline } from 'yonos';
import { exists } from '../../data/lib/files.js';
import { toRgb8 } from '../../data/lib/u8-resize.js';
import type { ReportConfig } from './config.js';
import { ReportError } from './errors.js';
import { listEvalImages, lrDir } from './eval-set.js';
import { shardJobs, yonosJobs } from './jobs.js';
import type { Shard, YonosJob } from './jobs.js';
import { isComplete, pipelineFingerprint, readRunRecord, recordMatches, writeRunRecord } from './run-record.js';
import type { RunRecord } from './run-record.js';
import { reportThreads } from './threads.js';

/** Options of {@link runQuality}. */
export interface QualityOptions {
  /** Redo folders (and images) that are already complete. */
  readonly force?: boolean;
  /** Do only this shard's folders (see `shardJobs`). */
  readonly shard?: Shard;
  /** Skip models whose pipeline folder does not exist yet instead of failing. */
  readonly allowMissing?: boolean;
  /** wasm threads (default: the config's, see `reportThreads`); results are the same for any count. */
  readonly threads?: number;
  /** Progress lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/** What {@link runQuality} did, by output folder (method and scale, e.g. `distilled_s4_x4`). */
export interface QualitySummary {
  /** Folders written (fully or the images they lacked). */
  readonly written: string[];
  /** Folders already complete for the same model, steps and seed. */
  readonly skipped: string[];
  /** Folders whose pipeline folder does not exist (with `allowMissing`). */
  readonly missing: string[];
}

/** The RGB 8-bit LR image of `name` at `scale`. */
async function readLr(evalDir: string, scale: number, name: string) {
  return toRgb8(await readImage(join(lrDir(evalDir, scale), `${name}.png`)));
}

/**
 * Upscales every eval LR image with every YONOS model, scale, step count and seed of the
 * config (this shard's part of them), writing `<sr>/<method>_x<S>/<name>.png` (8-bit RGB,
 * named like the HR files) and a `run.json` per folder. A folder already complete for the
 * same model (same pipeline fingerprint), steps and seed is skipped unless `force`; an
 * interrupted folder resumes at its first missing image. Each pipeline is loaded once and
 * disposed after its folders; no tensor outlives the call.
 * @throws {@link ReportError} for a missing eval set or pipeline folder (unless `allowMissing`),
 *   or a model trained for another scale than its config key says.
 */
export async function runQuality(config: ReportConfig, options: QualityOptions = {}): Promise<QualitySummary> {
  const log = options.log ?? console.log;
  const names = await listEvalImages(config.eval, config.scales);
  const all = yonosJobs(config);
  const jobs = options.shard !== undefined ? shardJobs(all, options.shard) : all;
  const summary: QualitySummary = { written: [], skipped: [], missing: [] };
  const absent = [...new Set(jobs.map((j) => j.pipeline))].filter((p) => !exists(join(p, 'model_index.json')));
  if (absent.length > 0 && options.allowMissing !== true) {
    throw new ReportError(`No pipeline folder (model_index.json) at ${absent.join(', ')}: train these models first, fix their paths in the config, or pass --allow-missing.`);
  }
  const threads = options.threads ?? reportThreads(config.threads).threads;
  await useBackend(config.backend, config.backend === 'wasm' ? { wasmThreads: threads } : {});
  const backend = getBackendInfo().name;
  log(`quality: ${jobs.length} of ${all.length} folders${options.shard ? ` (shard ${options.shard.index}/${options.shard.count})` : ''}, ${names.length} images each, backend ${backend}`);

  const byPipeline = new Map<string, YonosJob[]>();
  for (const job of jobs) byPipeline.set(job.pipeline, [...(byPipeline.get(job.pipeline) ?? []), job]);
  for (const [pipelineDir, group] of byPipeline) {
    if (absent.includes(pipelineDir)) {
      for (const job of group) summary.missing.push(`${job.method}_x${job.scale}`);
      log(`quality: ${pipelineDir} missing, skipped ${group.length} folders`);
      continue;
    }
    const fingerprint = await pipelineFingerprint(pipelineDir);
    const todo: YonosJob[] = [];
    for (const job of group) {
      const record = await readRunRecord(job.outDir);
      if (options.force !== true && recordMatches(record, job, fingerprint, names) && isComplete(job.outDir, record, names)) {
        summary.skipped.push(`${job.method}_x${job.scale}`);
      } else {
        todo.push(job);
      }
    }
    if (todo.length === 0) continue;
    const before = tf.memory().numTensors;
    const pipe = await YonosPipeline.fromPretrained(pipelineDir);
    try {
      for (const job of todo) {
        if (pipe.scale !== job.scale) {
          throw new ReportError(`${pipelineDir} was trained for x${pipe.scale} (model_index.json scale_factor) but the config lists it as x${job.scale}: fix models.${job.model}.folders.`);
        }
        await runJob(pipe, job, { config, names, fingerprint, backend, force: options.force === true, log });
        summary.written.push(`${job.method}_x${job.scale}`);
      }
    } finally {
      pipe.dispose();
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new ReportError(`${leaked} tensors leaked while upscaling with ${pipelineDir}: a bug in the pipeline or this harness.`);
  }
  return summary;
}

interface JobContext {
  readonly config: ReportConfig;
  readonly names: readonly string[];
  readonly fingerprint: string;
  readonly backend: string;
  readonly force: boolean;
  readonly log: (line: string) => void;
}

/** Writes one output folder, resuming after the images a matching partial record already holds. */
async function runJob(pipe: YonosPipeline, job: YonosJob, ctx: JobContext): Promise<void> {
  await mkdir(job.outDir, { recursive: true });
  const previous = await readRunRecord(job.outDir);
  const resume = !ctx.force && recordMatches(previous, job, ctx.fingerprint, ctx.names);
  const perImageMs: Record<string, number> = resume ? { ...previous!.perImageMs } : {};
  const base: Omit<RunRecord, 'status' | 'perImageMs'> = {
    model: job.model,
    method: job.method,
    pipeline: job.pipeline,
    fingerprint: ctx.fingerprint,
    scale: job.scale,
    steps: job.steps,
    seed: job.seed,
    images: [...ctx.names],
    backend: ctx.backend,
    started: resume ? previous!.started : new Date().toISOString(),
  };
  await writeRunRecord(job.outDir, { ...base, status: 'partial', perImageMs });
  for (const name of ctx.names) {
    const target = join(job.outDir, `${name}.png`);
    if (resume && perImageMs[name] !== undefined && exists(target)) continue;
    const lr = await readLr(ctx.config.eval, job.scale, name);
    const t0 = performance.now();
    const sr = await pipe.upscale(lr, { scale: job.scale, steps: job.steps, seed: job.seed, tile: ctx.config.tile });
    perImageMs[name] = performance.now() - t0;
    // Written under another name first so an interrupted run never leaves a truncated PNG.
    await writeImage(`${target}.tmp`, sr, { format: 'png' });
    await rename(`${target}.tmp`, target);
    await writeRunRecord(job.outDir, { ...base, status: 'partial', perImageMs });
    ctx.log(`${job.method}_x${job.scale} ${name}: ${lr.width}x${lr.height} -> ${sr.width}x${sr.height}, ${job.steps} steps, ${perImageMs[name]!.toFixed(0)} ms`);
  }
  await writeRunRecord(job.outDir, { ...base, status: 'complete', finished: new Date().toISOString(), perImageMs });
}
