import { PhiloxRng } from './philox-rng.js';

export type { Rng, RngState } from './rng.js';
export { RngError } from './errors.js';
export { PhiloxRng } from './philox-rng.js';
export { philox4x32, PHILOX_ROUNDS } from './philox.js';

/**
 * Creates a seeded Philox4x32-10 generator. The same seed yields the same numbers on every
 * tfjs backend and JS engine, because values are generated on the host and uploaded.
 *
 * @param seed - a safe integer or a bigint (64-bit, negatives wrap to two's complement), a
 *   decimal string of an unsigned 64-bit integer (the `RngState.seed` format), or any other
 *   text (hashed to 64 bits).
 * @throws {@link RngError} if the seed is not an integer or does not fit in 64 bits.
 */
export function createRng(seed: number | bigint | string): PhiloxRng {
  return new PhiloxRng(seed);
}
