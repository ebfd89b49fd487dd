import { basename } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { type CliStream, writeLine } from '../io.js';
import { type Clock, estimateSeconds, formatEta, lineThrottle, PROGRESS_LINE_INTERVAL_MS, systemClock } from '../progress.js';
import { displayPath } from './display-path.js';

/** Values of `--progress`. */
export const PROGRESS_MODES = ['auto', 'lines', 'json'] as const;

/**
 * How `yonos upscale` shows progress: `auto`, bars on a terminal and {@link ProgressMode} `lines`
 * elsewhere; `lines`, a line per image and a status line every few seconds; `json`, one JSON
 * object per event on stdout (see {@link UpscaleEvent}), with the human-readable lines on stderr.
 */
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** One image written, as {@link UpscaleProgress.written} reports it. */
export interface WrittenImage {
  /** Absolute path of the input. */
  readonly input: string;
  /** Absolute path of the output. */
  readonly output: string;
  /** Output size in pixels. */
  readonly width: number;
  readonly height: number;
  /** Frames of the input; only the first is upscaled. */
  readonly frames: number;
  /** The input had alpha and the output is JPEG, which cannot hold it. */
  readonly alphaDropped: boolean;
}

/** How a batch ended, for the last event. */
export interface BatchOutcome {
  /** Images written by this run. */
  readonly written: number;
  /** Outputs that existed and were kept. */
  readonly kept: number;
  /** Inputs (and command-line arguments) that failed. */
  readonly failed: readonly string[];
  /** Files in the input folders or pattern matches that are not PNG, JPEG or WebP, so not read. */
  readonly ignored: readonly string[];
  /** Ctrl-C stopped the batch. */
  readonly interrupted: boolean;
  /** Why the batch stopped early because no output could be written (`the disk is full (ENOSPC)`), else `null`. */
  readonly stopped: string | null;
}

/**
 * The objects `--progress json` prints, one per line on stdout. Every one has `event` and
 * `elapsed` (seconds since the batch started, after the model loaded); the batch position
 * (`finished` of `images` finished, `fraction` of the work done, by pixels, and `eta` in seconds,
 * `null` until it can be estimated) comes with `image`, `progress`, `written` and `failed`.
 * Paths are absolute.
 */
export type UpscaleEvent =
  | { readonly event: 'start'; readonly elapsed: number; readonly images: number; readonly kept: number; readonly scale: number; readonly out: string }
  | { readonly event: 'kept'; readonly elapsed: number; readonly input: string; readonly output: string }
  | (BatchPosition & { readonly event: 'image'; readonly index: number; readonly input: string; readonly output: string })
  | (BatchPosition & { readonly event: 'progress'; readonly index: number; readonly stage: string; readonly completed: number; readonly total: number })
  | (BatchPosition & { readonly event: 'written'; readonly index: number } & WrittenImage)
  | (BatchPosition & { readonly event: 'failed'; readonly index: number; readonly input: string; readonly reason: string })
  | ({ readonly event: 'done'; readonly elapsed: number } & BatchOutcome);

/** Where a batch stands, in {@link UpscaleEvent}s. */
export interface BatchPosition {
  readonly elapsed: number;
  /** Images finished (written or failed). */
  readonly finished: number;
  /** Images to upscale in this run (kept outputs not counted). */
  readonly images: number;
  /** Share of the work done, 0 to 1, counting pixels. */
  readonly fraction: number;
  /** Seconds left, or `null` before anything is done. */
  readonly eta: number | null;
}

/** Progress of `yonos upscale`, told by the batch as it goes. */
export interface UpscaleProgress {
  /** Image `index` (among the images to upscale) starts. */
  startImage(index: number, input: string, output: string): void;
  /** Progress within the current image: `completed` of `total` model evaluations, in `stage`. */
  updateImage(completed: number, total: number, stage: string): void;
  /** Image `index` was written. */
  written(index: number, image: WrittenImage): void;
  /** Image `index` failed and was skipped; `reason` says why and what to do. */
  failed(index: number, input: string, reason: string): void;
  /** A message that must stay visible (printed above the bars on a terminal). */
  log(line: string): void;
  /** The batch is over (also when interrupted or stopped). */
  finish(outcome: BatchOutcome): void;
  /** Removes the bars; call once, before printing the summary. */
  stop(): void;
}

/** Options of {@link createUpscaleProgress}. */
export interface UpscaleProgressOptions {
  readonly mode: ProgressMode;
  /** Human-readable progress, notes and warnings (bars are drawn here when it is a terminal). */
  readonly stderr: CliStream;
  /** Where `json` events go. */
  readonly stdout: CliStream;
  /** Shown before the batch bar and the status lines, e.g. `upscale x4`. */
  readonly label: string;
  /** The work of each image to upscale, in order (pixels; see `jobWork`); its length is the batch size. */
  readonly work: readonly number[];
  /** Outputs that exist already and are kept: one note, or one `kept` event each. */
  readonly kept?: readonly { readonly input: string; readonly output: string }[];
  /** For the `start` event. */
  readonly scale: number;
  /** The output folder, for the `start` event. */
  readonly out: string;
  /** Time source (default {@link systemClock}). */
  readonly clock?: Clock;
  /** `lines`: a status line at most this often (default {@link PROGRESS_LINE_INTERVAL_MS}). */
  readonly intervalMs?: number;
}

/** `a, b, c and 4 more`. */
function nameList(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** The note for outputs that exist already. */
export function keptNote(kept: readonly { readonly output: string }[]): string {
  const n = kept.length;
  return `note: ${n} output${n === 1 ? '' : 's'} exist${n === 1 ? 's' : ''} already and ${n === 1 ? 'is' : 'are'} kept, so ${n === 1 ? 'its input is' : 'their inputs are'} not upscaled again (pass --overwrite to replace them): ${nameList(kept.map((k) => basename(k.output)))}.`;
}

/** The line printed for an image written: `a.png -> out/a_x4.png (32x24)` and its notes. */
export function writtenLine(image: WrittenImage): string {
  const notes = [
    ...(image.frames > 1 ? [` (first of ${image.frames} frames only: animations are not upscaled)`] : []),
    ...(image.alphaDropped ? [' (alpha dropped: JPEG cannot hold it; use --format png or webp to keep it)'] : []),
  ];
  return `${displayPath(image.input)} -> ${displayPath(image.output)} (${image.width}x${image.height})${notes.join('')}`;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/**
 * A progress reporter for a batch of `options.work.length` images. Text goes to `stderr`: on a
 * terminal (mode `auto`) two `cli-progress` bars, the batch with its ETA and the model
 * evaluations of the current image, with lines above them; otherwise (mode `lines`, or `auto`
 * off a terminal) a line per image and, at most every `intervalMs`, a status line with the ETA.
 * Mode `json` writes one {@link UpscaleEvent} per line to `stdout` and only notes and warnings
 * to `stderr`.
 */
export function createUpscaleProgress(options: UpscaleProgressOptions): UpscaleProgress {
  const { mode, stderr, stdout, label, work } = options;
  const clock = options.clock ?? systemClock;
  const start = clock();
  const images = work.length;
  const totalWork = work.reduce((a, b) => a + b, 0);
  let doneWork = 0;
  let droppedWork = 0;
  let finished = 0;
  let current = -1;
  let currentFraction = 0;
  const elapsedMs = (): number => clock() - start;
  const position = (): BatchPosition => {
    const done = doneWork + (current >= 0 ? (work[current] ?? 0) * currentFraction : 0);
    const all = totalWork - droppedWork;
    const eta = estimateSeconds(elapsedMs(), done, all);
    return { elapsed: round(elapsedMs() / 1000, 3), finished, images, fraction: all > 0 ? round(Math.min(1, done / all), 4) : 1, eta: eta !== undefined ? round(eta, 1) : null };
  };
  const account = {
    start: (index: number) => {
      current = index;
      currentFraction = 0;
    },
    update: (completed: number, total: number) => {
      currentFraction = total > 0 ? Math.min(1, completed / total) : 0;
    },
    end: (index: number, ok: boolean) => {
      if (ok) doneWork += work[index] ?? 0;
      else droppedWork += work[index] ?? 0;
      finished++;
      current = -1;
      currentFraction = 0;
    },
  };
  const kept = options.kept ?? [];

  if (mode === 'json') {
    const emit = (event: UpscaleEvent): void => writeLine(stdout, JSON.stringify(event));
    emit({ event: 'start', elapsed: 0, images, kept: kept.length, scale: options.scale, out: options.out });
    for (const k of kept) emit({ event: 'kept', elapsed: round(elapsedMs() / 1000, 3), input: k.input, output: k.output });
    if (kept.length > 0) writeLine(stderr, keptNote(kept));
    let index = -1;
    return {
      startImage: (i, input, output) => {
        index = i;
        account.start(i);
        emit({ event: 'image', ...position(), index: i, input, output });
      },
      updateImage: (completed, total, stage) => {
        account.update(completed, total);
        emit({ event: 'progress', ...position(), index, stage, completed, total });
      },
      written: (i, image) => {
        account.end(i, true);
        emit({ event: 'written', ...position(), index: i, ...image });
      },
      failed: (i, input, reason) => {
        account.end(i, false);
        emit({ event: 'failed', ...position(), index: i, input, reason });
        writeLine(stderr, `warning: skipped '${displayPath(input)}': ${reason}`);
      },
      log: (line) => writeLine(stderr, line),
      finish: (outcome) => emit({ event: 'done', elapsed: round(elapsedMs() / 1000, 3), ...outcome }),
      stop: () => undefined,
    };
  }

  if (mode === 'lines' || stderr.isTTY !== true) {
    if (kept.length > 0) writeLine(stderr, keptNote(kept));
    const throttle = lineThrottle(options.intervalMs ?? PROGRESS_LINE_INTERVAL_MS, clock);
    let name = '';
    return {
      startImage: (i, input) => {
        account.start(i);
        name = displayPath(input);
      },
      updateImage: (completed, total, stage) => {
        account.update(completed, total);
        if (!throttle.due()) return;
        const p = position();
        writeLine(stderr, `${label}: image ${p.finished + 1} of ${images} (${name}: ${stage} ${completed}/${total}), ${Math.floor(p.fraction * 100)}% done, ${formatEta(p.eta ?? undefined)}`);
      },
      written: (i, image) => {
        account.end(i, true);
        writeLine(stderr, writtenLine(image));
      },
      failed: (i, input, reason) => {
        account.end(i, false);
        writeLine(stderr, `warning: skipped '${displayPath(input)}': ${reason}`);
      },
      log: (line) => writeLine(stderr, line),
      finish: () => undefined,
      stop: () => undefined,
    };
  }

  const multi = new MultiBar(
    {
      stream: stderr as NodeJS.WritableStream,
      // `left`, not `eta`: cli-progress fills `{eta}` with its own estimate, by count of images.
      format: '{label} [{bar}] {value}/{total} {left} {name}',
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  if (kept.length > 0) multi.log(`${keptNote(kept)}\n`);
  const eta = (): string => formatEta(position().eta ?? undefined);
  const batch = multi.create(images, 0, { label, name: '', left: eta() });
  // The image bar counts model evaluations, whose number is known once the image is read.
  const image = multi.create(1, 0, { label: ' '.repeat(label.length), name: '', left: '' });
  let name = '';
  return {
    startImage: (i, input) => {
      account.start(i);
      name = displayPath(input);
      batch.update({ name, left: eta() });
      image.setTotal(1);
      image.update(0, { name: `${name}: reading` });
    },
    updateImage: (completed, steps, stage) => {
      account.update(completed, steps);
      batch.update({ left: eta() });
      image.setTotal(Math.max(1, steps));
      image.update(completed, { name: `${name}: ${stage}` });
    },
    written: (i, written) => {
      account.end(i, true);
      multi.log(`${writtenLine(written)}\n`);
      batch.increment(1, { name, left: eta() });
    },
    failed: (i, input, reason) => {
      account.end(i, false);
      multi.log(`warning: skipped '${displayPath(input)}': ${reason}\n`);
      batch.increment(1, { name, left: eta() });
    },
    log: (line) => multi.log(`${line}\n`),
    finish: () => undefined,
    stop: () => {
      // cli-progress prints logged lines only when it redraws: flush them before the bars go.
      multi.update();
      multi.stop();
    },
  };
}
