import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addGaussianNoise, addPoissonNoise, DegradeError, randomAddGaussianNoise, randomAddPoissonNoise } from '../src/index.js';
import { generatePoissonNoise, samplePoissonLevels } from '../src/noise/poisson.js';
import { distinctLevels } from '../src/noise/poisson.js';
import { poissonRate, poissonTable } from '../src/noise/poisson-table.js';

function stats(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  const mean = s / values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i]! - mean) ** 2;
  return { mean, variance: v / (values.length - 1) };
}

/** Poisson pmf in float64 via logs (independent of the table's recurrence). */
function pmf(rate: number, k: number): number {
  if (rate === 0) return k === 0 ? 1 : 0;
  let logFact = 0;
  for (let i = 2; i <= k; i++) logFact += Math.log(i);
  return Math.exp(-rate + k * Math.log(rate) - logFact);
}

describe('Gaussian noise', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('has the requested per-sample std (in 8-bit levels) and zero mean', () => {
    const img = tf.fill([2, 32, 32, 3], 0.5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const out = addGaussianNoise(img, { sigma: [10, 20], clip: false }, createRng(1));
    expect(tf.memory().numTensors).toBe(before + 1);
    const data = out.dataSync();
    const n = 32 * 32 * 3;
    for (const [i, sigma] of [[0, 10], [1, 20]] as const) {
      const { mean, variance } = stats(Array.from(data.subarray(i * n, (i + 1) * n), (v) => v - 0.5));
      const std = sigma / 255;
      // Standard errors: std / sqrt(n) for the mean, about std / sqrt(2n) for the std.
      expect(Math.abs(mean)).toBeLessThan((3 * std) / Math.sqrt(n));
      expect(Math.abs(Math.sqrt(variance) - std)).toBeLessThan((3 * std) / Math.sqrt(2 * n));
    }
    tf.dispose([img, out]);
  });

  it('gray samples share one draw across channels; colour samples do not', () => {
    const img = tf.fill([2, 8, 8, 3], 0.5) as tf.Tensor4D;
    const out = addGaussianNoise(img, { sigma: 15, gray: [true, false], clip: false }, createRng(2));
    const d = out.dataSync();
    const m = 8 * 8 * 3;
    for (let p = 0; p < 64; p++) {
      expect(d[p * 3]).toBe(d[p * 3 + 1]);
      expect(d[p * 3]).toBe(d[p * 3 + 2]);
    }
    let differs = 0;
    for (let p = 0; p < 64; p++) if (d[m + p * 3] !== d[m + p * 3 + 1]) differs++;
    expect(differs).toBe(64);
    tf.dispose([img, out]);
  });

  it('clips and rounds like BasicSR, and a seed reproduces the result', () => {
    const img = tf.fill([1, 16, 16, 3], 0.98) as tf.Tensor4D;
    const a = addGaussianNoise(img, { sigma: 30, clip: true, rounds: true }, createRng(3));
    const b = addGaussianNoise(img, { sigma: 30, clip: true, rounds: true }, createRng(3));
    const d = a.dataSync();
    expect(Array.from(d)).toEqual(Array.from(b.dataSync()));
    expect(Math.max(...d)).toBe(1);
    for (const v of d) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
    tf.dispose([img, a, b]);
  });

  it('random sigma stays in range (std of the whole batch within the range)', () => {
    const img = tf.fill([4, 16, 16, 3], 0.5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const out = randomAddGaussianNoise(img, { sigmaRange: [5, 6], grayProb: 0.5, clip: false }, createRng(4));
    expect(tf.memory().numTensors).toBe(before + 1);
    const { variance } = stats(Array.from(out.dataSync(), (v) => v - 0.5));
    expect(Math.sqrt(variance) * 255).toBeGreaterThan(5 * 0.95);
    expect(Math.sqrt(variance) * 255).toBeLessThan(6 * 1.05);
    tf.dispose([img, out]);
    const bad = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    expect(() => addGaussianNoise(bad, { sigma: [1, 2, 3] }, createRng(0))).toThrow(DegradeError);
    bad.dispose();
  });
});

describe('Poisson noise', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('tables: monotone CDFs ending at 1 with a negligible truncated tail', () => {
    const t = poissonTable();
    for (let e = 0; e <= 8; e++) {
      const len = t.length[e]!;
      for (const level of [0, 1, 128, 255]) {
        const start = t.base[e]! + level * len;
        for (let k = 1; k < len; k++) expect(t.cdf[start + k]!).toBeGreaterThanOrEqual(t.cdf[start + k - 1]!);
        expect(t.cdf[start + len - 1]).toBe(1);
        // Mass beyond the table, from the pmf: below a float32 uniform's resolution.
        let tail = 0;
        for (let k = len - 1; k < len + 200; k++) tail += pmf(poissonRate(level, e), k);
        expect(tail).toBeLessThan(2 ** -30);
      }
    }
  });

  it('counts distinct 8-bit levels per sample (BasicSR: len(torch.unique))', () => {
    const rng = createRng(15);
    const rows = [Array.from({ length: 500 }, () => rng.nextInt(0, 255)), Array.from({ length: 500 }, () => 17 * rng.nextInt(0, 5)), new Array<number>(500).fill(255)];
    const t = tf.tensor2d(rows.flat(), [3, 500], 'int32');
    const before = tf.memory().numTensors;
    const got = distinctLevels(t);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(got.dataSync())).toEqual(rows.map((r) => new Set(r).size));
    tf.dispose([t, got]);
  });

  it('inverse-CDF search equals a host float64 inversion for every draw', () => {
    const rng = createRng(5);
    const n = 4000;
    const levels = Array.from({ length: n }, () => rng.nextInt(0, 255));
    const exps = Array.from({ length: n }, () => rng.nextInt(0, 8));
    const u = Array.from({ length: n }, () => rng.nextFloat());
    const before = tf.memory().numTensors;
    const lt = tf.tensor1d(levels);
    const et = tf.tensor1d(exps);
    const ut = tf.tensor1d(u);
    const got = samplePoissonLevels(lt, et, ut);
    const counts = got.dataSync();
    tf.dispose([lt, et, ut, got]);
    expect(tf.memory().numTensors).toBe(before);
    let checked = 0;
    for (let i = 0; i < n; i++) {
      const rate = poissonRate(levels[i]!, exps[i]!);
      let k = 0;
      let f = pmf(rate, 0);
      while (f <= u[i]!) {
        k++;
        f += pmf(rate, k);
      }
      // Skip draws within float32 rounding of a CDF step (the table stores float32).
      if (Math.abs(f - u[i]!) < 1e-6 || Math.abs(f - pmf(rate, k) - u[i]!) < 1e-6) continue;
      checked++;
      expect(counts[i]).toBe(k);
    }
    expect(checked).toBeGreaterThan(n * 0.99);
  });

  it('counts follow Poisson(level / 255 * vals) with vals from the distinct-level count', () => {
    // Two distinct levels -> vals = 2; rates 2 * 100/255 and 2 * 200/255.
    const h = 64;
    const half = new Float32Array(h * h * 3).map((_, i) => (i < (h * h * 3) / 2 ? 100 / 255 : 200 / 255));
    const img = tf.tensor4d(half, [1, h, h, 3]);
    const noise = generatePoissonNoise(img, 1, false, createRng(6));
    const d = noise.dataSync();
    const m = d.length / 2;
    for (const [offset, level] of [[0, 100], [m, 200]] as const) {
      const q = Math.fround(level / 255);
      const rate = poissonRate(level, 1);
      const counts = Array.from(d.subarray(offset, offset + m), (v) => Math.round((v + q) * 2));
      // Chi-square goodness of fit over k = 0..4 and >= 5.
      const observed = new Array<number>(6).fill(0);
      for (const c of counts) observed[Math.min(c, 5)]! += 1;
      let chi2 = 0;
      let rest = 1;
      for (let k = 0; k < 6; k++) {
        const p = k < 5 ? pmf(rate, k) : rest;
        rest -= k < 5 ? p : 0;
        chi2 += (observed[k]! - m * p) ** 2 / (m * p);
      }
      expect(chi2).toBeLessThan(20.5); // p = 0.001 at 5 degrees of freedom
    }
    tf.dispose([img, noise]);
  });

  it('with many levels (vals = 256) the noise variance is q / vals per pixel', () => {
    const h = 64;
    const rng = createRng(7);
    const data = Float32Array.from({ length: h * h * 3 }, () => rng.nextInt(0, 255) / 255);
    const img = tf.tensor4d(data, [1, h, h, 3]);
    const before = tf.memory().numTensors;
    const out = addPoissonNoise(img, { scale: 1, clip: false }, createRng(8));
    expect(tf.memory().numTensors).toBe(before + 1);
    const o = out.dataSync();
    let sumSq = 0;
    let expected = 0;
    for (let i = 0; i < o.length; i++) {
      sumSq += (o[i]! - data[i]!) ** 2;
      expected += data[i]! / 256;
    }
    // Ratio of two sums over 12288 pixels: sd about sqrt(2 / 12288) ~ 1.3%.
    expect(Math.abs(sumSq / expected - 1)).toBeLessThan(0.05);
    tf.dispose([img, out]);
  });

  it('gray noise is equal across channels and scales per sample', () => {
    const rng = createRng(9);
    const data = Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => rng.nextFloat());
    const img = tf.tensor4d(data, [2, 16, 16, 3]);
    const noise = generatePoissonNoise(img, [0, 2], [true, true], createRng(10));
    const d = noise.dataSync();
    const m = 16 * 16 * 3;
    for (let i = 0; i < m; i++) expect(Math.abs(d[i]!)).toBe(0);
    for (let p = 0; p < 256; p++) {
      expect(d[m + p * 3]).toBe(d[m + p * 3 + 1]);
      expect(d[m + p * 3]).toBe(d[m + p * 3 + 2]);
    }
    const before = tf.memory().numTensors;
    const out = randomAddPoissonNoise(img, { scaleRange: [0.05, 3], grayProb: 0.4 }, createRng(11));
    expect(tf.memory().numTensors).toBe(before + 1);
    const o = out.dataSync();
    expect(Math.min(...o)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...o)).toBeLessThanOrEqual(1);
    tf.dispose([img, noise, out]);
  });
});
