/**
 * The failure reason a worker stores for an error: `<class name>: <message>` on one line, so
 * the error's type survives in the queue (BullMQ keeps only a message) and dashboards show it.
 */
export function failureReason(err: unknown): string {
  const name = err instanceof Error ? err.name : 'Error';
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').trim();
  return `${name}: ${message}`;
}

/** A failure reason split by {@link parseFailureReason}. */
export interface ParsedFailureReason {
  /** The error's class name, `Error` when the reason does not say. */
  readonly errorName: string;
  /** The error's message. */
  readonly reason: string;
}

/**
 * Splits a stored failure reason back into the error's class name and message. A reason not
 * written by {@link failureReason} (BullMQ's own, such as a job that stalled too often) gives
 * `Error` and the whole text.
 */
export function parseFailureReason(reason: string): ParsedFailureReason {
  const match = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(reason);
  return match !== null ? { errorName: match[1]!, reason: match[2]! } : { errorName: 'Error', reason };
}
