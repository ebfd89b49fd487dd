import { formatDuration } from '@yonos/distill/internal';
import { MultiBar, Presets } from 'cli-progress';
import { type CliStream, writeLine } from './io.js';

/** Milliseconds from some fixed origin: `performance.now` unless a test passes its own. */
export type Clock = () => number;

/** The default {@link Clock}. */
export const systemClock: Clock = () => performance.now();

/** How often a progress line is printed where no bar can be drawn (pipes, CI logs), in milliseconds. */
export const PROGRESS_LINE_INTERVAL_MS = 5000;

/**
 * Seconds left for a batch, from the time spent on the work done so far: `elapsed * left /
 * done`. `undefined` until some work is done (no rate to extrapolate yet).
 * @param elapsedMs Time spent so far.
 * @param done Work finished, in any unit (images, pixels).
 * @param total All the work, in the same unit.
 */
export function estimateSeconds(elapsedMs: number, done: number, total: number): number | undefined {
  if (!(done > 0) || !(elapsedMs >= 0)) return undefined;
  return (elapsedMs / 1000) * Math.max(0, total - done) / done;
}

/** `ETA m:ss` (`ETA --:--` while unknown). */
export function formatEta(seconds: number | undefined): string {
  return `ETA ${formatDuration(seconds ?? Number.NaN)}`;
}

/**
 * Says when a periodic progress line is due: the first time `intervalMs` after creation, then
 * `intervalMs` after the previous line.
 */
export function lineThrottle(intervalMs: number, clock: Clock): { due(): boolean } {
  let last = clock();
  return {
    due: () => {
      const now = clock();
      if (now - last < intervalMs) return false;
      last = now;
      return true;
    },
  };
}

/** Progress of a batch command: a live bar on a terminal, plain lines elsewhere. */
export interface Progress {
  /** One more item done; `name` is shown next to the bar. */
  increment(name: string): void;
  /** A message that must stay visible (printed above the bar on a terminal). */
  log(line: string): void;
  /** Removes the bar; call once, before printing the summary. */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Time source of the ETA and of the periodic lines (default {@link systemClock}). */
  readonly clock?: Clock;
  /** Where no bar is drawn, a progress line is printed at most this often (default {@link PROGRESS_LINE_INTERVAL_MS}). */
  readonly intervalMs?: number;
}

/**
 * A progress reporter writing to `stream`. On a TTY it draws a `cli-progress` bar with the
 * ETA and prints {@link Progress.log} lines above it; otherwise (pipes, CI logs, tests) it
 * prints those lines and, every few seconds, one line `<label>: <done>/<total>, ETA m:ss`, so
 * the output stays readable as text.
 */
export function createProgress(stream: CliStream, total: number, label: string, options: ProgressOptions = {}): Progress {
  if (stream.isTTY !== true) {
    const clock = options.clock ?? systemClock;
    const start = clock();
    const throttle = lineThrottle(options.intervalMs ?? PROGRESS_LINE_INTERVAL_MS, clock);
    let done = 0;
    return {
      increment: () => {
        done++;
        if (done < total && throttle.due()) writeLine(stream, `${label}: ${done}/${total}, ${formatEta(estimateSeconds(clock() - start, done, total))}`);
      },
      log: (line) => writeLine(stream, line),
      stop: () => undefined,
    };
  }
  const multi = new MultiBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: `${label} [{bar}] {value}/{total} ETA {eta_formatted} {name}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const bar = multi.create(total, 0, { name: '' });
  return {
    increment: (name) => bar.increment(1, { name }),
    log: (line) => multi.log(`${line}\n`),
    stop: () => {
      // cli-progress prints logged lines only when it redraws: flush them before the bar goes.
      multi.update();
      multi.stop();
    },
  };
}
