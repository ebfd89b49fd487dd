import type { ProgressEvent } from '@yonos/core';

/** Share of the progress bar each pipeline stage fills, as `[start, end]` in `[0, 1]`. */
export const STAGE_SPANS: Readonly<Record<string, readonly [number, number]>> = {
  encode: [0, 0.15],
  denoise: [0.15, 0.85],
  decode: [0.85, 1],
};

const STAGE_NAMES: Readonly<Record<string, string>> = {
  encode: 'Encoding the upsampled image',
  denoise: 'Denoising',
  decode: 'Decoding',
};

/**
 * Where a pipeline progress event puts the whole run, in `[0, 1]`: the stage's span of
 * {@link STAGE_SPANS}, filled by `completed / total`. Unknown stages map to 0.
 */
export function overallProgress(event: ProgressEvent): number {
  const span = STAGE_SPANS[event.stage];
  if (span === undefined) return 0;
  const done = event.total > 0 ? Math.min(Math.max(event.completed / event.total, 0), 1) : 1;
  return span[0] + (span[1] - span[0]) * done;
}

/** A one-line description of a progress event, e.g. `Denoising: step 1/1, tile 2/4`. */
export function describeProgress(event: ProgressEvent): string {
  const name = STAGE_NAMES[event.stage] ?? event.stage;
  const d = event.detail;
  if (event.stage === 'denoise' && d !== undefined && d['step'] !== undefined) {
    return `${name}: step ${d['step']}/${d['steps']}, tile ${d['tile']}/${d['tiles']}`;
  }
  return `${name}: tile ${event.completed}/${event.total}`;
}
