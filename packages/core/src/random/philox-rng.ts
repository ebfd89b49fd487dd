import * as tf from '@tensorflow/tfjs-core';
import { RngError } from './errors.js';
import { philox4x32 } from './philox.js';
import type { Rng, RngState } from './rng.js';
import { bigintToWords, deriveSeed, parseU64, seedToWords, wordsToBigint } from './seed.js';
import type { Words64 } from './seed.js';

const TWO_POW_24 = 16777216;
const TWO_POW_32 = 4294967296;
const TWO_PI = 2 * Math.PI;

/** Uniform in `[0, 1)` from the top 24 bits of a word: exactly representable in float32. */
function unitFromWord(word: number): number {
  return (word >>> 8) / TWO_POW_24;
}

/** Largest float32 strictly below `x` (for clamping rounded results into `[min, max)`). */
function float32Below(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (f[0] === 0) {
    f[0] = -1.401298464324817e-45;
  } else if (f[0]! > 0) {
    bits[0] = bits[0]! - 1;
  } else {
    bits[0] = bits[0]! + 1;
  }
  return f[0]!;
}

function checkShape(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RngError(`Shape [${shape.join(', ')}] is invalid: every dimension must be a non-negative integer.`);
    }
    size *= d;
  }
  return size;
}

/**
 * The Philox4x32-10 implementation of {@link Rng}.
 *
 * Stream layout (stable; saved states and seeds depend on it): block `i` of a stream is
 * `philox4x32(counter = [i mod 2^32, floor(i / 2^32), 0, 0], key = seed words)`, four u32
 * words. Every call consumes whole blocks, so {@link RngState.counter} (blocks consumed)
 * resumes exactly:
 * - `nextFloat`: one block, word 0.
 * - `nextInt`: one block per rejection-sampling attempt.
 * - `uniform` / `uniformArray` of `n` values: `ceil(n / 4)` blocks, value `k` from word `k mod 4`
 *   of block `floor(k / 4)`.
 * - `normal` / `normalArray` of `n` values: `ceil(n / 4)` blocks, each giving two Box-Muller pairs.
 *
 * Uniforms are `(word >>> 8) / 2^24`: 24-bit mantissas, exact in float32, in `[0, 1)`.
 * Normals use the Box-Muller transform: with `u1 = ((w0 >>> 8) + 1) / 2^24` in `(0, 1]`
 * (never 0, so the log is finite) and `u2 = (w1 >>> 8) / 2^24`, `r = sqrt(-2 ln u1)`,
 * `z0 = r cos(2 pi u2)`, `z1 = r sin(2 pi u2)`, computed in float64 and rounded to float32.
 * Values reach at most about 5.6 standard deviations.
 */
export class PhiloxRng implements Rng {
  private key: Words64;
  private counterLo = 0;
  private counterHi = 0;
  private readonly ctr = new Uint32Array(4);
  private readonly block = new Uint32Array(4);

  /** @param seed - see {@link createRng} for the accepted forms. */
  constructor(seed: number | bigint | string) {
    this.key = seedToWords(seed);
  }

  /** The next block's four u32 words (a view reused by the next call), advancing the counter. */
  private nextBlock(): Uint32Array {
    this.ctr[0] = this.counterLo;
    this.ctr[1] = this.counterHi;
    philox4x32(this.ctr, this.key, this.block);
    this.counterLo = (this.counterLo + 1) >>> 0;
    if (this.counterLo === 0) this.counterHi = (this.counterHi + 1) >>> 0;
    return this.block;
  }

  /**
   * `n` float32 values uniform in `[min, max)` on the host, for code that needs no tensor.
   * Consumes the same blocks as {@link PhiloxRng.uniform} of `n` elements, with identical values.
   */
  uniformArray(n: number, min = 0, max = 1): Float32Array {
    checkShape([n]);
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) {
      throw new RngError(`Uniform range [${min}, ${max}) is invalid: pass finite bounds with min < max.`);
    }
    const out = new Float32Array(n);
    const span = max - min;
    const top = float32Below(max);
    for (let k = 0; k < n; k += 4) {
      const block = this.nextBlock();
      for (let w = 0; w < 4 && k + w < n; w++) {
        const v = Math.fround(min + span * unitFromWord(block[w]!));
        // Rounding to float32 can land on `max` itself; keep the interval half-open.
        out[k + w] = v >= max ? top : v;
      }
    }
    return out;
  }

  /**
   * `n` float32 values, normal with the given mean and standard deviation, on the host.
   * Consumes the same blocks as {@link PhiloxRng.normal} of `n` elements, with identical values.
   */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    checkShape([n]);
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
      throw new RngError(`Normal(mean=${mean}, std=${std}) is invalid: pass a finite mean and a finite std >= 0.`);
    }
    const out = new Float32Array(n);
    for (let k = 0; k < n; k += 4) {
      const block = this.nextBlock();
      for (let pair = 0; pair < 2; pair++) {
        const i = k + 2 * pair;
        if (i >= n) break;
        const u1 = ((block[2 * pair]! >>> 8) + 1) / TWO_POW_24;
        const u2 = unitFromWord(block[2 * pair + 1]!);
        const r = Math.sqrt(-2 * Math.log(u1));
        const theta = TWO_PI * u2;
        out[i] = mean + std * r * Math.cos(theta);
        if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
      }
    }
    return out;
  }

  /** Float32 tensor of `shape`, uniform in `[min, max)` (default `[0, 1)`); the caller disposes it. */
  uniform(shape: readonly number[], min = 0, max = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(checkShape(shape), min, max), [...shape], 'float32');
  }

  /** Float32 tensor of `shape`, normal with `mean` and `std` (default 0, 1); the caller disposes it. */
  normal(shape: readonly number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normalArray(checkShape(shape), mean, std), [...shape], 'float32');
  }

  /** One float uniform in `[0, 1)` with 24 random bits (the same grid as the tensors). */
  nextFloat(): number {
    return unitFromWord(this.nextBlock()[0]!);
  }

  /**
   * One integer uniform in `[min, max]`, both inclusive and safe integers. Unbiased:
   * rejection sampling on 32 bits when the range fits, on 53 bits (words 0 and 1) otherwise.
   */
  nextInt(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RngError(`Integer range [${min}, ${max}] is invalid: pass safe integers with min <= max.`);
    }
    const range = max - min + 1;
    if (!Number.isSafeInteger(range)) {
      throw new RngError(`Integer range [${min}, ${max}] spans more than 2^53 values: narrow it.`);
    }
    const space = range <= TWO_POW_32 ? TWO_POW_32 : 2 ** 53;
    // Largest multiple of `range` in the space: draws at or above it would bias low values.
    const limit = space - (space % range);
    for (;;) {
      const block = this.nextBlock();
      const draw =
        space === TWO_POW_32 ? block[0]! : (block[1]! >>> 11) * TWO_POW_32 + block[0]!;
      if (draw < limit) return min + (draw % range);
    }
  }

  /**
   * An independent generator seeded with a hash (Philox CBC-MAC) of this one's seed and `key`.
   * Depends only on the seed and the key, not on how far this generator has advanced.
   */
  fork(key: string | number): PhiloxRng {
    const child = new PhiloxRng(0);
    child.key = deriveSeed(this.key, key);
    return child;
  }

  /** The seed (64-bit, decimal) and the number of blocks consumed (decimal). */
  getState(): RngState {
    return {
      seed: wordsToBigint(this.key).toString(),
      counter: wordsToBigint([this.counterLo, this.counterHi]).toString(),
    };
  }

  /** Moves to a saved position; the seed is taken from the state too. */
  setState(state: RngState): void {
    const seed = typeof state?.seed === 'string' ? parseU64(state.seed) : undefined;
    const counter = typeof state?.counter === 'string' ? parseU64(state.counter) : undefined;
    if (seed === undefined || counter === undefined) {
      throw new RngError(
        `Invalid RngState ${JSON.stringify(state)}: seed and counter must be decimal strings of unsigned 64-bit integers, as returned by getState().`,
      );
    }
    this.key = bigintToWords(seed);
    [this.counterLo, this.counterHi] = bigintToWords(counter);
  }
}
