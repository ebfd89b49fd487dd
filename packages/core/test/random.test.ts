import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { createRng, philox4x32, RngError } from '../src/random/index.js';

const hex = (words: ArrayLike<number>): string =>
  Array.from(words, (w) => (w >>> 0).toString(16).padStart(8, '0')).join(' ');
const words = (s: string): number[] => s.split(' ').map((w) => parseInt(w, 16));

// Random123 kat_vectors: name rounds ctr[4] key[2] -> out[4].
const KAT = `
philox4x32 7 00000000 00000000 00000000 00000000 00000000 00000000 5f6fb709 0d893f64 4f121f81 4f730a48
philox4x32 7 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff 5207ddc2 45165e59 4d8ee751 8c52f662
philox4x32 7 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0 4dfccaba 190a87f0 c47362ba b6b5242a
philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000 6627e8d5 e169c58d bc57ac4c 9b00dbd8
philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff 408f276d 41c83b0e a20bc7c6 6d5451fd
philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0 d16cfe09 94fdcceb 5001e420 24126ea1
`
  .trim()
  .split('\n')
  .map((line) => line.trim().split(/\s+/));

function moments(x: Float32Array): { mean: number; variance: number; skew: number; kurt: number } {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of x) {
    const d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= x.length;
  m3 /= x.length;
  m4 /= x.length;
  return { mean, variance: m2, skew: m3 / m2 ** 1.5, kurt: m4 / (m2 * m2) };
}

function correlation(a: Float32Array, b: Float32Array): number {
  const ma = moments(a).mean;
  const mb = moments(b).mean;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('philox4x32', () => {
  it.each(KAT)('matches Random123 %s-%s %s...', (_name, rounds, ...rest) => {
    const ctr = words(rest.slice(0, 4).join(' '));
    const key = words(rest.slice(4, 6).join(' '));
    expect(hex(philox4x32(ctr, key, undefined, Number(rounds)))).toBe(rest.slice(6, 10).join(' '));
  });
});

describe('createRng stream layout', () => {
  it('uniform values are the top 24 bits of consecutive Philox blocks keyed by the seed', () => {
    const seed = 0x299f31d0a4093822n;
    const key = [0xa4093822, 0x299f31d0];
    const expected: number[] = [];
    for (let block = 0; block < 3; block++) {
      for (const w of philox4x32([block, 0, 0, 0], key)) expected.push((w >>> 8) / 2 ** 24);
    }
    const got = createRng(seed).uniformArray(10);
    expect(Array.from(got)).toEqual(expected.slice(0, 10));
    // Seed 0 gives the all-zero KAT block.
    expect(createRng(0).nextFloat()).toBe(0x6627e8 / 2 ** 24);
  });

  it('accepts equivalent seed spellings and rejects invalid ones', () => {
    const a = createRng(12345).uniformArray(8);
    expect(createRng(12345n).uniformArray(8)).toEqual(a);
    expect(createRng('12345').uniformArray(8)).toEqual(a);
    expect(createRng(-1).getState().seed).toBe('18446744073709551615');
    expect(createRng('hello').getState().seed).toBe(createRng('hello').getState().seed);
    expect(createRng('hello').uniformArray(8)).not.toEqual(createRng('hellp').uniformArray(8));
    expect(() => createRng(1.5)).toThrow(RngError);
    expect(() => createRng(2n ** 64n)).toThrow(RngError);
    expect(() => createRng(Number.NaN)).toThrow(RngError);
  });

  it('validates shapes and ranges with typed errors', () => {
    const rng = createRng(1);
    expect(() => rng.uniform([2, -1])).toThrow(RngError);
    expect(() => rng.uniform([2], 1, 1)).toThrow(RngError);
    expect(() => rng.normal([2], 0, -1)).toThrow(RngError);
    expect(() => rng.nextInt(3, 2)).toThrow(RngError);
    expect(() => rng.setState({ seed: 'x', counter: '0' })).toThrow(RngError);
  });
});

describe('createRng tensors', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  afterAll(async () => {
    await useBackend('cpu');
  });

  it('gives identical numbers on cpu and wasm, without leaking', async () => {
    const results: Record<string, { u: Float32Array; n: Float32Array }> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      expect((await useBackend(backend)).name).toBe(backend);
      const before = tf.memory().numTensors;
      const rng = createRng(2024);
      const u = rng.uniform([2, 3, 5, 1], -1, 1);
      const n = rng.normal([7, 3]);
      expect(u.shape).toEqual([2, 3, 5, 1]);
      expect(u.dtype).toBe('float32');
      results[backend] = { u: (await u.data()) as Float32Array, n: (await n.data()) as Float32Array };
      tf.dispose([u, n]);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(results.wasm!.u).toEqual(results.cpu!.u);
    expect(results.wasm!.n).toEqual(results.cpu!.n);
    // The tensors hold exactly the host arrays.
    const host = createRng(2024);
    expect(results.cpu!.u).toEqual(host.uniformArray(30, -1, 1));
    expect(results.cpu!.n).toEqual(host.normalArray(21));
  });

  it('handles scalar and empty shapes', () => {
    const rng = createRng(3);
    const s = rng.normal([]);
    const e = rng.uniform([0, 4]);
    expect(s.shape).toEqual([]);
    expect(e.size).toBe(0);
    tf.dispose([s, e]);
  });
});

describe('createRng state', () => {
  it('resumes exactly from getState/setState, also through JSON', () => {
    const rng = createRng('experiment-7');
    rng.uniformArray(13);
    rng.nextInt(0, 9);
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const next = [rng.nextFloat(), ...rng.normalArray(9), rng.nextInt(-5, 5), ...rng.uniformArray(3, 2, 3)];

    const resumed = createRng(0);
    resumed.setState(saved);
    expect([resumed.nextFloat(), ...resumed.normalArray(9), resumed.nextInt(-5, 5), ...resumed.uniformArray(3, 2, 3)]).toEqual(next);
    // A fresh generator from the saved seed with the same counter is the same stream.
    const fresh = createRng(saved.seed);
    fresh.setState({ seed: saved.seed, counter: saved.counter });
    expect(fresh.nextFloat()).toBe(next[0]);
  });

  it('counts whole 128-bit blocks', () => {
    const rng = createRng(9);
    rng.uniformArray(9); // 3 blocks
    rng.normalArray(5); // 2 blocks
    rng.nextFloat(); // 1 block
    expect(rng.getState().counter).toBe('6');
  });

  it('carries the counter past 2^32 blocks', () => {
    const rng = createRng(5);
    rng.setState({ seed: '5', counter: String(2 ** 32 - 1) });
    const a = rng.nextFloat();
    expect(rng.getState().counter).toBe(String(2 ** 32));
    const b = rng.nextFloat();
    expect(a).toBe((philox4x32([2 ** 32 - 1, 0, 0, 0], [5, 0])[0]! >>> 8) / 2 ** 24);
    expect(b).toBe((philox4x32([0, 1, 0, 0], [5, 0])[0]! >>> 8) / 2 ** 24);
  });
});

describe('createRng distributions', () => {
  const N = 200_000;

  it('uniform [0,1) has the moments of U(0,1) and a flat histogram', () => {
    const x = createRng(11).uniformArray(N);
    const m = moments(x);
    // 5 standard errors of each estimator.
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N));
    let lo = Infinity;
    let hi = -Infinity;
    const bins = new Array<number>(20).fill(0);
    for (const v of x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      bins[Math.floor(v * 20)]!++;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    const expected = N / 20;
    const chi2 = bins.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(43.8); // chi-square, 19 dof, p = 0.001
  });

  it('uniform [min,max) stays half-open even where float32 rounding reaches max', () => {
    const x = createRng(12).uniformArray(N, 1, 2);
    expect(x.filter((v) => !(v >= 1 && v < 2)).length).toBe(0);
    const m = moments(x);
    expect(Math.abs(m.mean - 1.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
  });

  it('normal has the moments of N(mean, std)', () => {
    const x = createRng(13).normalArray(N, 2, 3);
    const m = moments(x);
    expect(Math.abs(m.mean - 2)).toBeLessThan(5 * 3 / Math.sqrt(N));
    expect(Math.abs(m.variance - 9)).toBeLessThan(5 * 9 * Math.sqrt(2 / N));
    expect(Math.abs(m.skew)).toBeLessThan(5 * Math.sqrt(6 / N));
    expect(Math.abs(m.kurt - 3)).toBeLessThan(5 * Math.sqrt(24 / N));
  });

  it('normal pairs are uncorrelated', () => {
    const x = createRng(14).normalArray(N);
    const even = new Float32Array(N / 2);
    const odd = new Float32Array(N / 2);
    for (let i = 0; i < N / 2; i++) {
      even[i] = x[2 * i]!;
      odd[i] = x[2 * i + 1]!;
    }
    expect(Math.abs(correlation(even, odd))).toBeLessThan(5 / Math.sqrt(N / 2));
  });

  it('nextInt covers [min, max] uniformly, including ranges wider than 2^32', () => {
    const rng = createRng(15);
    const counts = new Array<number>(7).fill(0);
    // A value above 3 would grow the array, one below -3 would be missing from the sum.
    const draws = 70_000;
    for (let i = 0; i < draws; i++) {
      counts[rng.nextInt(-3, 3) + 3]!++;
    }
    const expected = draws / 7;
    expect(counts.length).toBe(7);
    expect(counts.reduce((s, c) => s + c, 0)).toBe(draws);
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(22.5); // 6 dof, p = 0.001
    expect(rng.nextInt(4, 4)).toBe(4);
    let above = 0;
    for (let i = 0; i < 2000; i++) {
      const v = rng.nextInt(0, 2 ** 40 - 1);
      expect(v >= 0 && v < 2 ** 40).toBe(true);
      if (v >= 2 ** 39) above++;
    }
    expect(Math.abs(above - 1000)).toBeLessThan(5 * Math.sqrt(500));
  });
});

describe('fork', () => {
  it('is deterministic, does not advance the parent, and ignores the parent position', () => {
    const parent = createRng(77);
    const before = parent.getState();
    const a1 = parent.fork('noise').uniformArray(16);
    expect(parent.getState()).toEqual(before);
    parent.uniformArray(100);
    expect(parent.fork('noise').uniformArray(16)).toEqual(a1);
    expect(createRng(77).fork('noise').uniformArray(16)).toEqual(a1);
  });

  it('derives streams independent of the parent and of each other', () => {
    const parent = createRng(78);
    const n = 50_000;
    const streams = [parent.uniformArray(n), createRng(78).fork('a').uniformArray(n), createRng(78).fork('b').uniformArray(n), createRng(78).fork(1).uniformArray(n), createRng(78).fork('1').uniformArray(n), createRng(79).fork('a').uniformArray(n)];
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) {
        expect(Math.abs(correlation(streams[i]!, streams[j]!))).toBeLessThan(5 / Math.sqrt(n));
        expect(streams[i]!.slice(0, 8)).not.toEqual(streams[j]!.slice(0, 8));
      }
    }
    // Forked state is a plain seed: it round-trips through createRng.
    const child = createRng(78).fork('a');
    expect(createRng(child.getState().seed).uniformArray(n)).toEqual(streams[1]);
    expect(() => parent.fork(Number.POSITIVE_INFINITY)).toThrow(RngError);
  });
});
