import { YonosError } from '@yonos/core';

/**
 * Thrown by `@yonos/degrade` when an argument cannot be used (wrong tensor rank, an even
 * kernel size, a probability list that does not match its kernel list, ...). The message
 * says which argument and what to pass instead.
 */
export class DegradeError extends YonosError {}

/** Throws a {@link DegradeError} with `message` unless `condition` holds. */
export function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) {
    throw new DegradeError(message());
  }
}
