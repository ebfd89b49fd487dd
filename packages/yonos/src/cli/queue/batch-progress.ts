import type { UpscaleBatchEvent } from '@yonos/queue';
import { MultiBar, Presets } from 'cli-progress';
import { type CliStream, writeLine } from '../io.js';
import { type Clock, estimateSeconds, formatEta, lineThrottle, PROGRESS_LINE_INTERVAL_MS, systemClock } from '../progress.js';
import { displayPath } from '../upscale/display-path.js';
import { keptNote, writtenLine } from '../upscale/progress.js';
import type { ProgressMode } from '../upscale/progress.js';

/** Options of {@link createBatchProgress}. */
export interface BatchProgressOptions {
  readonly mode: ProgressMode;
  readonly stderr: CliStream;
  readonly stdout: CliStream;
  /** `upscale x4 on yonos-upscale`. */
  readonly label: string;
  /** Jobs enqueued. */
  readonly images: number;
  /** Outputs that existed already and were not enqueued. */
  readonly kept: readonly { readonly input: string; readonly output: string }[];
  readonly batch: string;
  readonly queue: string;
  readonly scale: number;
  /** The output folder, absolute. */
  readonly out: string;
  readonly clock?: Clock;
  /** Milliseconds between status lines off a terminal (default {@link PROGRESS_LINE_INTERVAL_MS}). */
  readonly intervalMs?: number;
}

/** How a queued batch ended, for the last `--progress json` event. */
export interface QueuedBatchOutcome {
  readonly written: number;
  readonly kept: number;
  /** Inputs (as displayed) that failed. */
  readonly failed: readonly string[];
  /** Inputs (as displayed) whose jobs were cancelled. */
  readonly cancelled: readonly string[];
  /** Ctrl-C stopped following the batch (its jobs go on). */
  readonly detached: boolean;
}

/** Shows a queued batch's progress as its events arrive (see {@link createBatchProgress}). */
export interface BatchProgress {
  event(event: UpscaleBatchEvent): void;
  /** A line that must stay visible. */
  log(line: string): void;
  /** The last JSON event (`--progress json`); nothing in the other modes. */
  finish(outcome: QueuedBatchOutcome): void;
  /** Removes the bar; call once, before the summary. */
  stop(): void;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** The human-readable line of an event, or `undefined` for events shown only by the bar and status lines. */
function eventLine(event: UpscaleBatchEvent): string | undefined {
  const name = displayPath(event.job.input);
  switch (event.type) {
    case 'completed':
      return writtenLine({ input: event.job.input, output: event.result.output, width: event.result.width, height: event.result.height, frames: event.result.frames, alphaDropped: event.result.droppedAlpha });
    case 'failed':
      return `warning: skipped '${name}': ${event.error.reason}`;
    case 'retrying':
      return `note: '${name}' failed on attempt ${event.error.attempts} (${event.error.errorName}: ${event.error.reason}); it will be retried.`;
    case 'stalled':
      return `note: the worker computing '${name}' stopped without finishing it; the job went back to the queue.`;
    case 'cancelled':
      return `warning: '${name}' was cancelled (it left the queue unfinished).`;
    default:
      return undefined;
  }
}

/**
 * Progress of `yonos upscale --queue` while it follows its batch: mode `json` prints one object
 * per event on stdout (`queued`, `active`, `progress`, `written`, `failed`, `retrying`, `stalled`,
 * `cancelled`, `done`); `lines` (or `auto` off a terminal) prints a line per image and a status
 * line every few seconds on stderr; `auto` on a terminal draws a bar with lines above it.
 */
export function createBatchProgress(options: BatchProgressOptions): BatchProgress {
  const { mode, stderr, stdout, images, kept } = options;
  const clock = options.clock ?? systemClock;
  const start = clock();
  let finished = 0;
  const running = new Map<number, number>();
  const elapsed = (): number => round((clock() - start) / 1000, 3);
  const fraction = (): number => {
    const partial = [...running.values()].reduce((a, b) => a + b, 0);
    return images > 0 ? Math.min(1, (finished + partial) / images) : 1;
  };
  const eta = (): number | undefined => estimateSeconds(clock() - start, fraction() * images, images);
  const account = (event: UpscaleBatchEvent): void => {
    if (event.type === 'active') running.set(event.index, 0);
    else if (event.type === 'progress') running.set(event.index, event.progress.total > 0 ? event.progress.completed / event.progress.total : 0);
    else if (event.type === 'stalled' || event.type === 'retrying') running.delete(event.index);
    else if (event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled') {
      running.delete(event.index);
      finished++;
    }
  };

  if (mode === 'json') {
    const emit = (object: Record<string, unknown>): void => writeLine(stdout, JSON.stringify(object));
    emit({ event: 'queued', elapsed: 0, batch: options.batch, queue: options.queue, images, kept: kept.length, scale: options.scale, out: options.out });
    if (kept.length > 0) writeLine(stderr, keptNote(kept));
    return {
      event: (event) => {
        account(event);
        const position = { elapsed: elapsed(), finished, images, fraction: round(fraction(), 4), index: event.index, input: event.job.input };
        switch (event.type) {
          case 'active':
            return emit({ event: 'active', ...position, worker: event.worker ?? null, attempt: event.attempt });
          case 'progress':
            return emit({ event: 'progress', ...position, ...event.progress });
          case 'completed':
            return emit({ event: 'written', ...position, ...event.result });
          case 'failed':
            writeLine(stderr, eventLine(event)!);
            return emit({ event: 'failed', ...position, error: event.error.errorName, reason: event.error.reason, attempts: event.error.attempts });
          case 'retrying':
            return emit({ event: 'retrying', ...position, error: event.error.errorName, reason: event.error.reason, attempts: event.error.attempts });
          case 'stalled':
            return emit({ event: 'stalled', ...position });
          case 'cancelled':
            writeLine(stderr, eventLine(event)!);
            return emit({ event: 'cancelled', ...position });
        }
      },
      log: (line) => writeLine(stderr, line),
      finish: (outcome) => emit({ event: 'done', elapsed: elapsed(), ...outcome }),
      stop: () => undefined,
    };
  }

  const status = (): string => `${options.label}: ${finished} of ${images} images finished, ${running.size} running, ${Math.floor(fraction() * 100)}% done, ${formatEta(eta())}`;
  if (mode === 'lines' || stderr.isTTY !== true) {
    if (kept.length > 0) writeLine(stderr, keptNote(kept));
    const throttle = lineThrottle(options.intervalMs ?? PROGRESS_LINE_INTERVAL_MS, clock);
    return {
      event: (event) => {
        account(event);
        const line = eventLine(event);
        if (line !== undefined) writeLine(stderr, line);
        else if (throttle.due()) writeLine(stderr, status());
      },
      log: (line) => writeLine(stderr, line),
      finish: () => undefined,
      stop: () => undefined,
    };
  }

  const multi = new MultiBar(
    { stream: stderr as NodeJS.WritableStream, format: '{label} [{bar}] {value}/{total} {left} {running}', hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  if (kept.length > 0) multi.log(`${keptNote(kept)}\n`);
  const bar = multi.create(images, 0, { label: options.label, left: formatEta(undefined), running: '' });
  return {
    event: (event) => {
      account(event);
      const line = eventLine(event);
      if (line !== undefined) multi.log(`${line}\n`);
      bar.update(finished, { left: formatEta(eta()), running: running.size > 0 ? `${running.size} running` : '' });
    },
    log: (line) => multi.log(`${line}\n`),
    finish: () => undefined,
    stop: () => {
      multi.update();
      multi.stop();
    },
  };
}
