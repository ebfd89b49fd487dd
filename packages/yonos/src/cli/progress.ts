import { MultiBar, Presets } from 'cli-progress';
import { type CliStream, writeLine } from './io.js';

/** Progress of a batch command: a live bar on a terminal, plain lines elsewhere. */
export interface Progress {
  /** One more item done; `name` is shown next to the bar. */
  increment(name: string): void;
  /** A message that must stay visible (printed above the bar on a terminal). */
  log(line: string): void;
  /** Removes the bar; call once, before printing the summary. */
  stop(): void;
}

/**
 * A progress reporter writing to `stream`. On a TTY it draws a `cli-progress` bar and prints
 * {@link Progress.log} lines above it; otherwise (pipes, CI logs, tests) it prints only
 * those lines, so the output stays readable as text.
 */
export function createProgress(stream: CliStream, total: number, label: string): Progress {
  if (stream.isTTY !== true) {
    return { increment: () => undefined, log: (line) => writeLine(stream, line), stop: () => undefined };
  }
  const multi = new MultiBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: `${label} [{bar}] {value}/{total} {name}`,
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
