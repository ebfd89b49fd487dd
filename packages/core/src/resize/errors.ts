import { YonosError } from '../errors.js';

/** An argument of a resize function cannot be used (wrong rank, non-positive scale or size). */
export class ResizeError extends YonosError {}

/** Throws a {@link ResizeError} with `message` unless `condition` holds. */
export function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new ResizeError(message());
}
