import type { ProgressEvent } from '@yonos/core';
import { encodeImage, readImage } from '@yonos/core/node';
import type { YonosPipeline, YonosTileOptions, YonosTiling } from '@yonos/sampler';
import { nodeOutputFiles, writeAtomically } from './output-files.js';
import type { OutputFiles } from './output-files.js';
import type { UpscaleJob } from './output-plan.js';

/** How each image of a run is upscaled and written. */
export interface UpscaleSettings {
  /** Upscaling factor (the model's). */
  readonly scale: number;
  /** DDIM steps (1 for a YONOS model). */
  readonly steps: number;
  /** Seed of the initial noise; every image uses it, so a rerun gives the same bytes. */
  readonly seed: number;
  /** Tiling (see `tileOptions`); absent: chosen from the memory budget. */
  readonly tile?: boolean | YonosTileOptions;
  /** JPEG and WebP quality, 1..100. */
  readonly quality: number;
}

/** Progress within one image: `completed` of `total` model evaluations (VAE tiles, then U-Net tiles per step, then VAE tiles). */
export type ImageProgressCallback = (completed: number, total: number, stage: string) => void;

/** What {@link upscaleFile} wrote. */
export interface UpscaledFile {
  readonly width: number;
  readonly height: number;
  /** Channels written (alpha kept unless the format is JPEG). */
  readonly channels: number;
  /** True when the image had alpha and was written as JPEG, which cannot hold it. */
  readonly droppedAlpha: boolean;
  /** Frames of the input (from `job.info`, else 1); only the first is upscaled. */
  readonly frames: number;
}

/** Model evaluations of one run with `tiling`: encode tiles, U-Net tiles for every step, decode tiles. */
export function evaluationCount(tiling: YonosTiling, steps: number): number {
  return 2 * tiling.vaeTiles + steps * tiling.latentTiles;
}

/** Maps the pipeline's per-stage events to one count over the whole image. */
function imageProgress(tiling: YonosTiling, steps: number, callback: ImageProgressCallback): (event: ProgressEvent) => void {
  const total = evaluationCount(tiling, steps);
  const offset: Readonly<Record<string, number>> = { encode: 0, denoise: tiling.vaeTiles, decode: tiling.vaeTiles + steps * tiling.latentTiles };
  return (event) => callback(Math.min(total, (offset[event.stage] ?? 0) + event.completed), total, event.stage);
}

/**
 * Upscales one image file (PNG, JPEG, WebP; 8 or 16 bits; gray, RGB, with or without alpha)
 * and writes `job.output` in `job.format`. Gray stays gray, 16-bit PNG stays 16-bit, alpha is
 * upscaled with the same bicubic and kept (dropped only for JPEG output, which cannot hold
 * it). An animated input gives its first frame. The file is written through a temporary file
 * and a rename (see `writeAtomically`), so an existing output stays whole until it is
 * replaced. Leak-free: the pipeline frees its tensors, also when aborted.
 * @throws `ImageDecodeError` for an unreadable file, `PipelineAbortedError` when `signal`
 *   aborts (nothing is written), `ImageEncodeError` when the output cannot be encoded,
 *   `OutputWriteError` when it cannot be written (see its `stopsBatch`).
 */
export async function upscaleFile(
  pipeline: YonosPipeline,
  job: UpscaleJob,
  settings: UpscaleSettings,
  control: { readonly onProgress?: ImageProgressCallback; readonly signal?: AbortSignal; readonly files?: OutputFiles } = {},
): Promise<UpscaledFile> {
  const raw = await readImage(job.input);
  const run = { scale: settings.scale, steps: settings.steps, seed: settings.seed, ...(settings.tile !== undefined ? { tile: settings.tile } : {}) };
  const { onProgress, signal } = control;
  let report: ((event: ProgressEvent) => void) | undefined;
  if (onProgress !== undefined) {
    const tiling = pipeline.tiling(raw.height, raw.width, run);
    onProgress(0, evaluationCount(tiling, settings.steps), 'read');
    report = imageProgress(tiling, settings.steps, onProgress);
  }
  const out = await pipeline.upscale(raw, {
    ...run,
    ...(report !== undefined ? { onProgress: report } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  const hasAlpha = out.channels === 2 || out.channels === 4;
  const droppedAlpha = hasAlpha && job.format === 'jpeg';
  const bytes = await encodeImage(out, { format: job.format, quality: settings.quality, dropAlpha: droppedAlpha });
  await writeAtomically(job.output, bytes, control.files ?? nodeOutputFiles);
  return { width: out.width, height: out.height, channels: droppedAlpha ? out.channels - 1 : out.channels, droppedAlpha, frames: job.info?.frames ?? 1 };
}
