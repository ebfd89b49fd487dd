/**
 * Philox4x32-10, the counter-based block function of Salmon et al., "Parallel Random
 * Numbers: As Easy as 1, 2, 3" (SC11), as in Random123, JAX and PyTorch's CUDA generator.
 * Pure integer math on the host, so every JS engine yields the same bits.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
// Weyl increments (golden ratio, sqrt(3) - 1) that bump the key between rounds.
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Number of rounds of the standard, Crush-resistant variant. */
export const PHILOX_ROUNDS = 10;

/**
 * High 32 bits of the 64-bit product of two u32. Doubles hold only 53 bits, so the
 * product is assembled from 16-bit halves whose partial sums stay below 2^34.
 */
function mulhi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid = a0 * b1 + a1 * b0 + ((a0 * b0) >>> 16);
  return (a1 * b1 + Math.floor(mid / 65536)) >>> 0;
}

/**
 * Philox4x32 with `rounds` rounds (10 for Philox4x32-10) of one 128-bit counter block.
 *
 * @param counter - four u32 words, `counter[0]` least significant (Random123 order).
 * @param key - two u32 words.
 * @param out - optional destination for the four u32 output words (reused to avoid allocation).
 * @param rounds - number of rounds, default {@link PHILOX_ROUNDS}.
 * @returns `out` (or a new `Uint32Array(4)`) holding the four output words.
 */
export function philox4x32(
  counter: ArrayLike<number>,
  key: ArrayLike<number>,
  out: Uint32Array = new Uint32Array(4),
  rounds: number = PHILOX_ROUNDS,
): Uint32Array {
  let c0 = counter[0]! >>> 0;
  let c1 = counter[1]! >>> 0;
  let c2 = counter[2]! >>> 0;
  let c3 = counter[3]! >>> 0;
  let k0 = key[0]! >>> 0;
  let k1 = key[1]! >>> 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}
