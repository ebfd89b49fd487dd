import { RngError } from './errors.js';
import { philox4x32 } from './philox.js';

/** A 64-bit value as two u32 words, least significant first (Philox key order). */
export type Words64 = readonly [lo: number, hi: number];

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

// Domain tags keep the three uses of the hash from ever colliding with each other.
const TAG_TEXT_SEED = 0x73656564; // 'seed'
const TAG_FORK_STRING = 0x666b7374; // 'fkst'
const TAG_FORK_NUMBER = 0x666b6e6d; // 'fknm'

/** Splits an unsigned 64-bit bigint into Philox key words. */
export function bigintToWords(value: bigint): Words64 {
  return [Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn)];
}

/** Joins two u32 words (least significant first) into an unsigned 64-bit bigint. */
export function wordsToBigint(words: Words64): bigint {
  return (BigInt(words[1] >>> 0) << 32n) | BigInt(words[0] >>> 0);
}

/**
 * Parses a decimal string of an unsigned 64-bit integer (the `RngState` format).
 * @returns the value, or `undefined` if `text` is not such a string.
 */
export function parseU64(text: string): bigint | undefined {
  if (!/^[0-9]{1,20}$/.test(text)) return undefined;
  const value = BigInt(text);
  return value <= U64_MAX ? value : undefined;
}

/**
 * Hashes `bytes` under a 64-bit key into 64 bits, using Philox4x32-10 as the block
 * cipher of a CBC-MAC. The first block carries the domain tag and the length, which
 * makes the encoding prefix-free, so distinct messages cannot share a chain.
 */
function philoxHash(key: Words64, tag: number, bytes: Uint8Array): Words64 {
  const state = new Uint32Array([tag, bytes.length, 0, 0]);
  philox4x32(state, key, state);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length; offset += 16) {
    for (let w = 0; w < 4; w++) {
      let word = 0;
      for (let b = 0; b < 4; b++) {
        const i = offset + 4 * w + b;
        if (i < bytes.length) word |= view.getUint8(i) << (8 * b);
      }
      state[w] = (state[w]! ^ word) >>> 0;
    }
    philox4x32(state, key, state);
  }
  return [state[0]!, state[1]!];
}

/**
 * Normalizes any accepted seed to 64 bits.
 *
 * - `number`: a safe integer; negatives wrap to two's complement (so `-1` is `2^64 - 1`).
 * - `bigint`: an integer in `[-2^63, 2^64)`, negatives wrapped the same way.
 * - `string`: a decimal string of an unsigned 64-bit integer is that integer (the format of
 *   `RngState.seed`, so saved seeds round-trip); any other text is hashed to 64 bits.
 */
export function seedToWords(seed: number | bigint | string): Words64 {
  if (typeof seed === 'string') {
    const parsed = parseU64(seed);
    if (parsed !== undefined) return bigintToWords(parsed);
    return philoxHash([0, 0], TAG_TEXT_SEED, new TextEncoder().encode(seed));
  }
  let value: bigint;
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new RngError(
        `Seed ${seed} is not a safe integer: pass an integer in [-(2^53 - 1), 2^53 - 1], a bigint, or a string.`,
      );
    }
    value = BigInt(seed);
  } else if (typeof seed === 'bigint') {
    value = seed;
  } else {
    throw new RngError(`Seed of type ${typeof seed} is not supported: pass a number, a bigint or a string.`);
  }
  if (value < I64_MIN || value > U64_MAX) {
    throw new RngError(`Seed ${value} does not fit in 64 bits: pass a value in [-2^63, 2^64 - 1].`);
  }
  return bigintToWords(BigInt.asUintN(64, value));
}

/**
 * Derives the seed of an independent stream from a parent seed and a fork key. String and
 * number keys live in separate domains, so `fork(1)` and `fork('1')` differ.
 */
export function deriveSeed(parent: Words64, key: string | number): Words64 {
  if (typeof key === 'number') {
    if (!Number.isFinite(key)) {
      throw new RngError(`Fork key ${key} is not a finite number: pass a finite number or a string.`);
    }
    return philoxHash(parent, TAG_FORK_NUMBER, new TextEncoder().encode(String(key)));
  }
  if (typeof key !== 'string') {
    throw new RngError(`Fork key of type ${typeof key} is not supported: pass a string or a number.`);
  }
  return philoxHash(parent, TAG_FORK_STRING, new TextEncoder().encode(key));
}
