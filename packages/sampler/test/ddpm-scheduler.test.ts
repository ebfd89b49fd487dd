import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@yonos/core';
import type { NoiseScheduler } from '@yonos/core';
import { DDPMScheduler, DDPM_VARIANCE_TYPES, SchedulerUsageError } from '../src/index.js';
import { dynamicThreshold } from '../src/schedulers/index.js';
import type { DDPMVarianceType } from '../src/index.js';
import { leakedBy, loadNumpyTimesteps, loadUpscalerIo, maxAbsDiff, readUpscalerJson, toNhwc } from './helpers.js';

/**
 * No diffusers golden data exists for DDPM steps, so each step is checked against DDPM's
 * published formulas (Ho et al. 2020, eqs. 6-7, 15; diffusers' strided form with
 * beta_t = 1 - abar_t / abar_prev) evaluated in float64 from the fixture's float32
 * `alphas_cumprod` (which diffusers computed). The scheduler works in float32 as diffusers
 * does, so it may differ by float32 rounding, most of it from `1 - abar_t / abar_prev`
 * (a difference of nearly equal numbers): |err| <= 1e-5 * (1 + |expected|).
 */
const STEP_TOL = 1e-5;

const io = loadUpscalerIo();
const lowResConfig = readUpscalerJson('low_res_scheduler/scheduler_config.json');
const fixtureAlphas = Float64Array.from(io.get('alphas_cumprod')!.dataSync());

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => tf.dispose([...io.values()]));

interface StepCase {
  readonly type: 'epsilon' | 'v_prediction' | 'sample';
  readonly variance: DDPMVarianceType;
  readonly t: number;
  readonly prevT: number;
  readonly clip: boolean;
}

/** DDPM's reverse step in float64, written from the paper, not from the scheduler's code. */
function referenceStep(c: StepCase, x: Float32Array, out: Float32Array, z: Float32Array, predictedVariance?: Float32Array): number[] {
  const a = fixtureAlphas[c.t]!;
  const ap = c.prevT >= 0 ? fixtureAlphas[c.prevT]! : 1;
  const beta = 1 - a / ap;
  const posterior = Math.max(((1 - ap) / (1 - a)) * beta, 1e-20); // beta tilde
  return Array.from(x, (xt, i) => {
    const o = out[i]!;
    let x0 =
      c.type === 'epsilon' ? (xt - Math.sqrt(1 - a) * o) / Math.sqrt(a) : c.type === 'v_prediction' ? Math.sqrt(a) * xt - Math.sqrt(1 - a) * o : o;
    if (c.clip) x0 = Math.min(1, Math.max(-1, x0));
    const mean = ((Math.sqrt(ap) * beta) / (1 - a)) * x0 + ((Math.sqrt(1 - beta) * (1 - ap)) / (1 - a)) * xt;
    if (c.t === 0) return mean;
    let variance: number;
    if (c.variance === 'fixed_small' || c.variance === 'fixed_small_log') variance = posterior;
    else if (c.variance === 'fixed_large' || c.variance === 'fixed_large_log') variance = beta;
    else if (c.variance === 'learned') variance = predictedVariance![i]!;
    else {
      const frac = (predictedVariance![i]! + 1) / 2;
      variance = Math.exp(frac * Math.log(beta) + (1 - frac) * Math.log(posterior));
    }
    return mean + Math.sqrt(variance) * z[i]!;
  });
}

function worstScaledError(got: ArrayLike<number>, expected: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  return Number.isNaN(worst) ? Infinity : worst;
}

describe('DDPMScheduler vs diffusers 0.25 data (sd-x4-upscaler-tiny)', () => {
  it("builds the low_res_scheduler's alphas_cumprod bit for bit", () => {
    const s = DDPMScheduler.fromConfig(lowResConfig);
    expect(maxAbsDiff(s.alphasCumprod, fixtureAlphas)).toBe(0);
  });

  for (const kind of ['array', 'int32 tensor'] as const) {
    it(`addNoise reproduces image_noised at noise_level 20 (${kind} timesteps), NHWC, without leaks`, () => {
      const s = DDPMScheduler.fromConfig(lowResConfig);
      const level = io.get('noise_level')!.dataSync()[0]!;
      expect(level).toBe(20);
      const image = toNhwc(io.get('low_res_image')!);
      const noise = toNhwc(io.get('low_res_noise')!);
      const expected = toNhwc(io.get('image_noised')!);
      const ts = kind === 'array' ? [level] : tf.tensor1d([level], 'int32');
      const before = tf.memory().numTensors;
      const noised = s.addNoise(image, noise, ts);
      expect(tf.memory().numTensors - before).toBe(1);
      const err = maxAbsDiff(noised.dataSync(), expected.dataSync());
      console.info(`DDPM addNoise vs diffusers image_noised (${kind}): max |diff| ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(1e-6);
      tf.dispose([image, noise, expected, noised, ...(ts instanceof tf.Tensor ? [ts] : [])]);
    });
  }
});

describe('DDPMScheduler.setTimesteps', () => {
  const numpy = loadNumpyTimesteps();
  it('spaces timesteps as diffusers 0.25 does (numpy-evaluated, leading with steps_offset 1, trailing, linspace)', () => {
    const leading = new DDPMScheduler({ steps_offset: numpy.steps_offset });
    const trailing = new DDPMScheduler({ timestep_spacing: 'trailing' });
    const linspace = new DDPMScheduler({ timestep_spacing: 'linspace' });
    for (const n of [1, 2, 5, 10, 50, 999]) {
      leading.setTimesteps(n);
      expect(leading.timesteps, `leading n=${n}`).toEqual(numpy.leading[String(n)]);
      trailing.setTimesteps(n);
      expect(trailing.timesteps, `trailing n=${n}`).toEqual(numpy.trailing[String(n)]);
      linspace.setTimesteps(n);
      expect(linspace.timesteps, `linspace n=${n}`).toEqual(numpy.linspace[String(n)]);
    }
    trailing.setTimesteps(1);
    expect(trailing.timesteps).toEqual([999]);
  });

  it('previousTimestep: t - 1 before setTimesteps, t - T/n after, the next custom timestep with custom ones', () => {
    const s = new DDPMScheduler();
    expect(s.previousTimestep(500)).toBe(499);
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([750, 500, 250, 0]);
    expect(s.previousTimestep(750)).toBe(500);
    s.setCustomTimesteps([900, 400, 7]);
    expect(s.customTimesteps).toBe(true);
    expect(s.timesteps).toEqual([900, 400, 7]);
    expect(s.previousTimestep(900)).toBe(400);
    expect(s.previousTimestep(7)).toBe(-1);
    expect(() => s.previousTimestep(500)).toThrow(/not one of the custom timesteps/);
    expect(() => s.setCustomTimesteps([10, 20])).toThrow(/strictly descending/);
    expect(() => s.setCustomTimesteps([1000])).toThrow(SchedulerUsageError);
    expect(() => s.setCustomTimesteps([])).toThrow(SchedulerUsageError);
    s.setTimesteps(2);
    expect(s.customTimesteps).toBe(false);
  });
});

describe('DDPMScheduler.step vs the float64 formulas', () => {
  const shape = [2, 3, 3, 4];
  const rng = createRng(2025);
  const x = rng.normal(shape);
  const out = rng.normal(shape);
  const z = rng.normal(shape);
  const logVar = rng.uniform(shape, -1, 1); // learned_range's v in [-1, 1]
  const variance = rng.uniform(shape, 0.001, 0.05); // learned's variance
  const [xv, ov, zv] = [x.dataSync() as Float32Array, out.dataSync() as Float32Array, z.dataSync() as Float32Array];
  afterAll(() => tf.dispose([x, out, z, logVar, variance]));

  const cases: StepCase[] = [];
  for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
    for (const variance of DDPM_VARIANCE_TYPES) {
      // One step of the full chain, a strided step, the last step (t = 0: no noise).
      for (const [t, prevT] of [
        [999, 998],
        [600, 400], // after setTimesteps(5)
        [20, 19],
        [0, -1],
      ] as const) {
        cases.push({ type, variance, t, prevT, clip: variance === 'fixed_small' });
      }
    }
  }

  let worst = 0;
  for (const c of cases) {
    it(`${c.type} ${c.variance} t=${c.t} -> ${c.prevT}${c.clip ? ' clipped' : ''}`, () => {
      const s = new DDPMScheduler({ ...lowResConfig, prediction_type: c.type, variance_type: c.variance, clip_sample: c.clip });
      if (c.prevT !== c.t - 1) s.setTimesteps(5);
      expect(s.previousTimestep(c.t)).toBe(c.prevT);
      const learned = c.variance === 'learned' || c.variance === 'learned_range';
      const extra = c.variance === 'learned' ? variance : logVar;
      const modelOutput = learned ? tf.concat([out, extra], 3) : out;
      const before = tf.memory().numTensors;
      const result = s.step(modelOutput, c.t, x, { varianceNoise: z });
      expect(tf.memory().numTensors - before).toBe(2);
      expect(result.prevSample.shape).toEqual(shape);
      const expected = referenceStep(c, xv, ov, zv, learned ? (extra.dataSync() as Float32Array) : undefined);
      const err = worstScaledError(result.prevSample.dataSync(), expected);
      worst = Math.max(worst, err);
      expect(err).toBeLessThan(STEP_TOL);
      tf.dispose([result.prevSample, result.predOriginalSample, ...(learned ? [modelOutput] : [])]);
    });
  }
  it('reports the worst error', () => {
    console.info(`DDPM step cases (${cases.length}): max |err| / (1 + |expected|) = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(STEP_TOL);
  });

  it('a control: a wrong variance (fixed_large for fixed_small) fails the same check', () => {
    // At t = 1 the posterior variance is about half of beta_1, so the two differ clearly.
    const c: StepCase = { type: 'epsilon', variance: 'fixed_small', t: 1, prevT: 0, clip: true };
    const s = new DDPMScheduler({ ...lowResConfig, variance_type: 'fixed_large' });
    const result = s.step(out, c.t, x, { varianceNoise: z });
    expect(worstScaledError(result.prevSample.dataSync(), referenceStep(c, xv, ov, zv))).toBeGreaterThan(100 * STEP_TOL);
    tf.dispose([result.prevSample, result.predOriginalSample]);
  });

  it('adds noise from a seeded rng exactly as the same draw given explicitly, and none at t = 0', () => {
    const s = DDPMScheduler.fromConfig(lowResConfig);
    const run = (seed: number, t: number) => {
      const r = s.step(out, t, x, { rng: createRng(seed) });
      const data = r.prevSample.dataSync().slice();
      tf.dispose([r.prevSample, r.predOriginalSample]);
      return data;
    };
    const noise = createRng(42).normal(shape);
    const explicit = s.step(out, 500, x, { varianceNoise: noise });
    expect(Array.from(run(42, 500))).toEqual(Array.from(explicit.prevSample.dataSync()));
    expect(maxAbsDiff(run(42, 500), run(43, 500))).toBeGreaterThan(1e-3);
    // t = 0: deterministic, and no noise source needed.
    const last = s.step(out, 0, x);
    expect(Array.from(run(42, 0))).toEqual(Array.from(last.prevSample.dataSync()));
    tf.dispose([noise, explicit.prevSample, explicit.predOriginalSample, last.prevSample, last.predOriginalSample]);
  });

  it('satisfies the NoiseScheduler contract', () => {
    const s: NoiseScheduler = DDPMScheduler.fromConfig(lowResConfig);
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([750, 500, 250, 0]);
    expect(s.predictionType).toBe('epsilon');
  });
});

describe('dynamic thresholding vs torch.quantile semantics (float64)', () => {
  /** torch.quantile(|x|, q) per item with linear interpolation, then clamp(min 1, max) and divide. */
  function reference(values: Float32Array, n: number, q: number, maxValue: number): number[] {
    const m = values.length / n;
    const out: number[] = [];
    for (let b = 0; b < n; b++) {
      const item = Array.from(values.subarray(b * m, (b + 1) * m));
      const sorted = item.map(Math.abs).sort((p, r) => p - r);
      const rank = q * (m - 1);
      const lo = Math.floor(rank);
      const hi = Math.ceil(rank);
      const quantile = sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
      const s = Math.min(Math.max(quantile, 1), maxValue);
      for (const v of item) out.push(Math.min(Math.max(v, -s), s) / s);
    }
    return out;
  }

  it('matches for several ratios and bounds, through step() too', () => {
    const x0 = tf.mul(createRng(5).normal([2, 5, 7, 3]), 2.5);
    const values = x0.dataSync() as Float32Array;
    for (const [q, maxValue] of [
      [0.995, 1.5],
      [0.9, 10],
      [0.5, 2],
      [1, 3],
      [0.995, 0.8],
    ] as const) {
      const got = dynamicThreshold(x0, q, maxValue);
      const err = maxAbsDiff(got.dataSync(), reference(values, 2, q, maxValue));
      expect(err, `q=${q} max=${maxValue}`).toBeLessThan(1e-6);
      got.dispose();
    }
    // Through step: prediction "sample" makes x0 the model output itself.
    const s = new DDPMScheduler({ prediction_type: 'sample', thresholding: true, sample_max_value: 1.5 });
    const sample = tf.zerosLike(x0);
    const r = s.step(x0, 0, sample);
    expect(maxAbsDiff(r.predOriginalSample.dataSync(), reference(values, 2, 0.995, 1.5))).toBeLessThan(1e-6);
    tf.dispose([x0, sample, r.prevSample, r.predOriginalSample]);
  });
});

describe('DDPMScheduler usage errors and leaks', () => {
  const s = DDPMScheduler.fromConfig(lowResConfig);
  const x = tf.zeros([1, 2, 2, 3]);
  const other = tf.zeros([1, 2, 2, 4]);
  afterAll(() => tf.dispose([x, other]));

  it('rejects bad timesteps, shapes and noise sources, leaking nothing', () => {
    const before = tf.memory().numTensors;
    expect(() => s.step(x, 1000, x, { rng: createRng(1) })).toThrow(/\[0, 1000\)/);
    expect(() => s.step(x, -1, x)).toThrow(SchedulerUsageError);
    expect(() => s.step(other, 10, x, { rng: createRng(1) })).toThrow(/modelOutput must have the sample's shape/);
    expect(() => s.step(x, 10, x)).toThrow(/pass \{ rng \}/);
    expect(() => s.step(x, 10, x, { rng: createRng(1), varianceNoise: x })).toThrow(/not both/);
    expect(() => s.step(x, 10, x, { varianceNoise: other })).toThrow(/varianceNoise/);
    const learned = new DDPMScheduler({ variance_type: 'learned_range' });
    expect(() => learned.step(x, 10, x, { rng: createRng(1) })).toThrow(/needs the model's variance/);
    expect(() => s.addNoise(x, other, [1])).toThrow(/same shape/);
    expect(() => s.addNoise(x, x, [1000])).toThrow(SchedulerUsageError);
    expect(() => s.setTimesteps(1001)).toThrow(SchedulerUsageError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is leak-free on every path', () => {
    const y = tf.fill([1, 2, 2, 3], 0.5);
    const twice = tf.fill([1, 2, 2, 6], 0.1);
    const ts = tf.tensor1d([10], 'int32');
    for (const variance of DDPM_VARIANCE_TYPES) {
      const v = new DDPMScheduler({ variance_type: variance, thresholding: variance === 'fixed_large' });
      const out = variance.startsWith('learned') ? twice : y;
      expect(leakedBy(() => v.step(out, 10, x, { rng: createRng(1) })), variance).toBe(0);
      expect(leakedBy(() => v.step(out, 0, x)), variance).toBe(0);
    }
    expect(leakedBy(() => s.addNoise(x, y, ts))).toBe(0);
    expect(leakedBy(() => s.getVelocity(x, y, [3]))).toBe(0);
    expect(leakedBy(() => s.alphasCumprodAt(ts, 4))).toBe(0);
    expect(leakedBy(() => dynamicThreshold(y, 0.9, 2))).toBe(0);
    tf.dispose([y, twice, ts]);
  });
});
