import { YonosError } from '../errors.js';

/**
 * Thrown for invalid arguments to the seeded generator: a seed that is not a 64-bit
 * integer, a malformed saved state, a bad shape or range. The message names the value
 * and what is accepted.
 */
export class RngError extends YonosError {}
