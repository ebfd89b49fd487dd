import { YonosError } from '@yonos/core';

/**
 * A command was used in a way it cannot run (a bad option value, a missing folder, an
 * output that would overwrite an input). The message says what to change.
 */
export class CliUsageError extends YonosError {}

/** `yonos train` was stopped by Ctrl-C: the checkpoint is saved, but the stage did not finish (exit code 1). */
export class TrainInterruptedError extends YonosError {}

/** Some inputs of a batch command failed; each was reported as it happened and the rest was done. */
export class PartialFailureError extends YonosError {}

/** Collapses a message to one line, so each error prints as exactly one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The line (or, with `verbose`, the lines) to print for an error a command threw. YONOS's own
 * errors explain themselves; anything else is unexpected, so the line says how to get detail.
 */
export function describeError(err: unknown, verbose: boolean): string {
  const message = oneLine(err instanceof Error ? err.message : String(err));
  if (err instanceof YonosError) {
    return verbose && err.stack !== undefined ? `error: ${message}\n${err.stack}` : `error: ${message}`;
  }
  if (verbose) {
    return `error: ${message}\n${err instanceof Error && err.stack !== undefined ? err.stack : String(err)}`;
  }
  return `error: ${message} (unexpected error: rerun with --verbose for the stack trace, and report it if it persists)`;
}
