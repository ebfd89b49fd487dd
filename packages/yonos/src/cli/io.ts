/**
 * A text stream the command writes to: `process.stdout` / `process.stderr`, or a capture in
 * tests. `isTTY` decides whether a live progress bar is drawn.
 */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Where the command's output goes. */
export interface CliIO {
  /** Results (what a script would parse). */
  readonly stdout: CliStream;
  /** Progress, warnings and errors. */
  readonly stderr: CliStream;
}

/** The process's own streams. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Writes `text` and a newline. */
export function writeLine(stream: CliStream, text = ''): void {
  stream.write(`${text}\n`);
}
