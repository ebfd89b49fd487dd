import type { ProgressCallback, ProgressEvent } from '@yonos/core';

/** Where a progress bar writes: a stream with `write`, and `isTTY` when it is a terminal. */
export interface ProgressStream {
  /** Writes `text` as is (it may hold `\r` and ANSI erase codes on a terminal); the result is ignored. */
  write(text: string): unknown;
  /** `true` on a terminal: the bar is redrawn in place; otherwise whole lines are printed. */
  readonly isTTY?: boolean;
}

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  /** Default `process.stderr`. */
  readonly stream?: ProgressStream;
  /** Bar width in characters (default 24). */
  readonly width?: number;
  /** On a non-terminal stream, print a line every this many steps (default 50) and at the end. */
  readonly lineEvery?: number;
}

/** `h:mm:ss` or `m:ss`; `--:--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A number of a stage event's detail: integers (steps, counts) as they are, others to 5 significant digits. */
export function formatDetailNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(5);
}

function num(detail: ProgressEvent['detail'], key: string): number | undefined {
  const v = detail?.[key];
  return typeof v === 'number' ? v : undefined;
}

/** One line of the bar for a `'train'` event: `[#####.....] 12/100 3.20 it/s ETA 0:27 loss 0.1234 lr 1.00e-4`. */
export function formatProgressLine(event: ProgressEvent, width = 24): string {
  const frac = event.total > 0 ? Math.min(1, event.completed / event.total) : 0;
  const filled = Math.round(frac * width);
  const parts = [`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`, `${event.completed}/${event.total}`];
  const rate = num(event.detail, 'stepsPerSecond');
  if (rate !== undefined) parts.push(`${rate.toFixed(2)} it/s`);
  const eta = num(event.detail, 'etaSeconds');
  if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
  const loss = num(event.detail, 'loss');
  if (loss !== undefined) parts.push(`loss ${loss.toPrecision(4)}`);
  const lr = num(event.detail, 'lr');
  if (lr !== undefined) parts.push(`lr ${lr.toExponential(2)}`);
  return parts.join(' ');
}

/**
 * A {@link ProgressCallback} that draws the `'train'` stage as a bar with steps/s, ETA, loss
 * and learning rate: redrawn in place on a terminal, one line every `lineEvery` steps
 * otherwise (logs stay readable). Other stages print one line when they complete
 * (`checkpoint step 30 path ...`, `validate step 30 psnr 27.412`: numbers with at most 3 decimals).
 */
export function createProgressBar(options: ProgressBarOptions = {}): ProgressCallback {
  const stream = options.stream ?? process.stderr;
  const width = options.width ?? 24;
  const every = Math.max(1, options.lineEvery ?? 50);
  const tty = stream.isTTY === true;
  let drawn = false;
  return (event) => {
    try {
      if (event.stage !== 'train') {
        if (event.completed === event.total) {
          const detail = Object.entries(event.detail ?? {}).map(([k, v]) => `${k} ${typeof v === 'number' ? formatDetailNumber(v) : v}`);
          stream.write(`${drawn && tty ? '\n' : ''}${event.stage} ${detail.join(' ')}\n`);
          drawn = false;
        }
        return;
      }
      const line = formatProgressLine(event, width);
      const last = event.completed >= event.total;
      if (tty) {
        stream.write(`\r${line}\x1b[K${last ? '\n' : ''}`);
        drawn = !last;
      } else if (last || event.completed % every === 0) {
        stream.write(`${line}\n`);
      }
    } catch {
      // A progress display must never stop training.
    }
  };
}
