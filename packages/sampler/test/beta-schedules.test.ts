import { describe, expect, it } from 'vitest';
import { SchedulerConfigError } from '../src/index.js';
import {
  alphasCumprod,
  betasForAlphaBar,
  linearBetas,
  rescaleZeroTerminalSnr,
  scaledLinearBetas,
  signalToNoiseRatio,
  squaredcosCapV2Betas,
} from '../src/schedulers/index.js';
import { at, float64AlphasCumprod, loadDdimFixture, maxAbsDiff } from './helpers.js';

const fixture = loadDdimFixture();
const T = 1000;

function linspace64(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

describe('scaled_linear alphas_cumprod vs diffusers', () => {
  const ref = fixture.noise.alphas_cumprod_scaled_linear;
  const ours = alphasCumprod(scaledLinearBetas(0.00085, 0.012, T));

  it('matches the fixture to 1e-5 (in fact bit for bit)', () => {
    expect(ours.length).toBe(T);
    const err = maxAbsDiff(ours, ref);
    expect(err).toBeLessThan(1e-5);
    // The float32 emulation reproduces PyTorch's linspace and cumprod exactly.
    expect(err).toBe(0);
  });

  it('agrees with a plain float64 computation to float32 rounding', () => {
    const betas = linspace64(Math.sqrt(0.00085), Math.sqrt(0.012), T).map((b) => b * b);
    const err = maxAbsDiff(ours, float64AlphasCumprod(betas));
    expect(err).toBeLessThan(1e-6);
  });
});

describe('beta schedules', () => {
  it('linear: evenly spaced float32 values with exact endpoints', () => {
    const b = linearBetas(0.0001, 0.02, T);
    expect(b[0]).toBe(Math.fround(0.0001));
    expect(b[T - 1]).toBe(Math.fround(0.02));
    const ref = linspace64(0.0001, 0.02, T);
    // float32 error budget: the step's rounding (2^-24 relative) accumulated over up to T/2
    // steps, plus two roundings (block base, value) of values up to 0.02.
    const step = (0.02 - 0.0001) / (T - 1);
    const bound = 2 ** -24 * ((T / 2) * step + 2 * 0.02);
    expect(maxAbsDiff(b, ref)).toBeLessThan(bound);
    expect(b.every((v) => Math.fround(v) === v)).toBe(true);
  });

  it('scaled_linear: squares of evenly spaced square roots', () => {
    const b = scaledLinearBetas(0.00085, 0.012, T);
    const [r0, r1] = [Math.sqrt(0.00085), Math.sqrt(0.012)];
    const ref = linspace64(r0, r1, T).map((x) => x * x);
    // The linear budget in root space, times d(r^2)/dr = 2r, plus the rounding of the square.
    const rootBound = 2 ** -24 * ((T / 2) * ((r1 - r0) / (T - 1)) + 2 * r1);
    expect(maxAbsDiff(b, ref)).toBeLessThan(2 * r1 * rootBound + 2 ** -24 * 0.012);
  });

  it('squaredcos_cap_v2: the improved-DDPM cosine schedule, capped at 0.999', () => {
    const b = squaredcosCapV2Betas(T);
    const abar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (const i of [0, 1, 500, 998]) {
      expect(b[i]).toBeCloseTo(1 - abar((i + 1) / T) / abar(i / T), 7);
    }
    expect(b[T - 1]).toBe(Math.fround(0.999));
    // The cumulative product reconstructs alpha_bar(t) / alpha_bar(0).
    const ac = alphasCumprod(b);
    expect(ac[499]).toBeCloseTo(abar(0.5) / abar(0), 5);
  });

  it('betasForAlphaBar exp transform', () => {
    const b = betasForAlphaBar(10, 0.999, 'exp');
    for (const v of b) expect(v).toBeCloseTo(1 - Math.exp(-12 / 10), 6);
  });

  it('rejects invalid parameters with SchedulerConfigError', () => {
    expect(() => linearBetas(0.1, 0.2, 0)).toThrow(SchedulerConfigError);
    expect(() => linearBetas(-0.1, 0.2, 10)).toThrow(/beta_start/);
    expect(() => scaledLinearBetas(0.1, 1.5, 10)).toThrow(/beta_end/);
    expect(() => betasForAlphaBar(10, 0)).toThrow(/maxBeta/);
    expect(() => betasForAlphaBar(10, 0.999, 'tanh' as 'exp')).toThrow(/alphaTransform/);
  });
});

describe('rescaleZeroTerminalSnr', () => {
  const betas = scaledLinearBetas(0.00085, 0.012, T);
  const before = alphasCumprod(betas);
  const rescaled = rescaleZeroTerminalSnr(betas);
  const after = alphasCumprod(rescaled);

  it('drives the last alpha_bar (and SNR) to zero and keeps the first', () => {
    expect(after[T - 1]).toBe(0);
    expect(rescaled[T - 1]).toBe(1);
    expect(after[0]).toBeCloseTo(at(before, 0), 6);
    expect(signalToNoiseRatio(after)[T - 1]).toBe(0);
  });

  it('maps sqrt(alpha_bar) by the affine map of Lin et al. Algorithm 1', () => {
    const s0 = Math.sqrt(at(before, 0));
    const sT = Math.sqrt(at(before, T - 1));
    const expected = Array.from(before, (a) => ((Math.sqrt(a) - sT) * s0) / (s0 - sT));
    expect(maxAbsDiff(after.map(Math.sqrt), expected)).toBeLessThan(1e-5);
  });

  it('rejects too-short or non-decreasing schedules', () => {
    expect(() => rescaleZeroTerminalSnr(new Float64Array([0.1]))).toThrow(SchedulerConfigError);
    expect(() => rescaleZeroTerminalSnr(new Float64Array([0, 0]))).toThrow(/decrease/);
  });
});

describe('signalToNoiseRatio', () => {
  it('is alpha_bar / (1 - alpha_bar)', () => {
    const snr = signalToNoiseRatio(new Float64Array([1, 0.75, 0.5, 0.2, 0]));
    expect(Array.from(snr)).toEqual([Infinity, 3, 1, 0.25, 0]);
  });
});
