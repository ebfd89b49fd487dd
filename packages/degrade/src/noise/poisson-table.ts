/**
 * Inverse-CDF tables for the Poisson draws of BasicSR's shot noise. There, the rate of a
 * pixel is `level / 255 * vals` with `level` an integer in [0, 255] and `vals = 2^e`,
 * `e` in [0, 8] (the unique-value count of the image rounded up to a power of two), so
 * 9 x 256 distributions cover every case and are tabulated once on the host in float64.
 */

/** Largest exponent `e` of `vals = 2^e` (256 levels). */
export const MAX_EXPONENT = 8;

/** Number of 8-bit levels. */
export const LEVELS = 256;

/** Flattened CDF rows: row `(e, level)` starts at `base[e] + level * length[e]` and has `length[e]` entries. */
export interface PoissonTable {
  /** CDF values `P(X <= k)`, float32; the last entry of every row is exactly 1. */
  readonly cdf: Float32Array;
  /** Row length for each exponent. */
  readonly length: Int32Array;
  /** Offset of exponent `e`'s first row. */
  readonly base: Int32Array;
  /** Bits of the largest count, `ceil(log2(max length + 1))`: one search step each. */
  readonly steps: number;
}

/** The float32 rate BasicSR computes: `float32(level / 255) * 2^e` (exact: a power of two). */
export function poissonRate(level: number, exponent: number): number {
  return Math.fround(level / 255) * 2 ** exponent;
}

/**
 * Row length for rates up to `2^e`: mean + 10 standard deviations + 12 leaves a tail
 * below 1e-20, far under float32's `2^-24` resolution of a uniform draw.
 */
function rowLength(exponent: number): number {
  const maxRate = 2 ** exponent;
  return Math.ceil(maxRate + 10 * Math.sqrt(maxRate) + 12);
}

let table: PoissonTable | undefined;

/** The shared table (built on first use: 9 x 256 rows, about 1.2 MB). */
export function poissonTable(): PoissonTable {
  if (table !== undefined) {
    return table;
  }
  const length = new Int32Array(MAX_EXPONENT + 1);
  const base = new Int32Array(MAX_EXPONENT + 1);
  let total = 0;
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    length[e] = rowLength(e);
    base[e] = total;
    total += LEVELS * length[e]!;
  }
  const cdf = new Float32Array(total);
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    const len = length[e]!;
    for (let level = 0; level < LEVELS; level++) {
      const rate = poissonRate(level, e);
      const start = base[e]! + level * len;
      // pmf recurrence in float64; exp(-256) ~ 7e-112 is still a normal double.
      let p = Math.exp(-rate);
      let f = p;
      for (let k = 0; k < len; k++) {
        cdf[start + k] = Math.min(f, 1);
        p *= rate / (k + 1);
        f += p;
      }
      cdf[start + len - 1] = 1;
    }
  }
  let steps = 0;
  while (2 ** steps < Math.max(...length) + 1) {
    steps++;
  }
  table = { cdf, length, base, steps };
  return table;
}
