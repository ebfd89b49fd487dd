import type { ProgressEvent } from '@yonos/core';
import { encodeImage, readImage } from '@yonos/core/node';
import { evaluationTotal, imageProgress } from './image-upscaler.js';
import type { ImageProgressCallback, ImageUpscaler } from './image-upscaler.js';
import { nodeOutputFiles, writeAtomically } from './output-files.js';
import type { OutputFiles } from './output-files.js';
import type { UpscaleJob } from './output-plan.js';

/** How each output file is encoded. */
export interface OutputSettings {
  /** JPEG and WebP quality, 1..100. */
  readonly quality: number;
}

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

/**
 * Upscales one image file (PNG, JPEG, WebP; 8 or 16 bits; gray, RGB, with or without alpha)
 * with `upscaler` (a pipeline and the command's run settings) and writes `job.output` in
 * `job.format`. Gray stays gray, 16-bit PNG stays 16-bit, alpha is
 * upscaled with the same bicubic and kept (dropped only for JPEG output, which cannot hold
 * it). An animated input gives its first frame. The file is written through a temporary file
 * and a rename (see `writeAtomically`), so an existing output stays whole until it is
 * replaced. Leak-free: the pipeline frees its tensors, also when aborted.
 * @throws `ImageDecodeError` for an unreadable file, `PipelineAbortedError` when `signal`
 *   aborts (nothing is written), `ImageEncodeError` when the output cannot be encoded,
 *   `OutputWriteError` when it cannot be written (see its `stopsBatch`).
 */
export async function upscaleFile(
  upscaler: ImageUpscaler,
  job: UpscaleJob,
  settings: OutputSettings,
  control: { readonly onProgress?: ImageProgressCallback; readonly signal?: AbortSignal; readonly files?: OutputFiles } = {},
): Promise<UpscaledFile> {
  const raw = await readImage(job.input);
  const { onProgress, signal } = control;
  let report: ((event: ProgressEvent) => void) | undefined;
  if (onProgress !== undefined) {
    const evaluations = upscaler.evaluations(raw.height, raw.width);
    onProgress(0, evaluationTotal(evaluations), 'read');
    report = imageProgress(evaluations, onProgress);
  }
  const out = await upscaler.upscale(raw, {
    ...(report !== undefined ? { onProgress: report } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  const hasAlpha = out.channels === 2 || out.channels === 4;
  const droppedAlpha = hasAlpha && job.format === 'jpeg';
  const bytes = await encodeImage(out, { format: job.format, quality: settings.quality, dropAlpha: droppedAlpha });
  await writeAtomically(job.output, bytes, control.files ?? nodeOutputFiles);
  return { width: out.width, height: out.height, channels: droppedAlpha ? out.channels - 1 : out.channels, droppedAlpha, frames: job.info?.frames ?? 1 };
}
