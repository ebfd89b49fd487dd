import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@yonos/core';
import type { NoiseScheduler } from '@yonos/core';
import { DDIMScheduler, SchedulerUsageError } from '../src/index.js';
import { at, caseConfig, leakedBy, loadDdimFixture, maxAbsDiff } from './helpers.js';

const fixture = loadDdimFixture();
// Absolute. Measured (issue 21): 0 on every step case (the same float32 formula as diffusers). The
// largest values reach 84 (pred_original_sample at t = 999), where one float32 step is 7.6e-6:
// 1e-5 is one such step, room for an equivalent reordering of the formula.
const TOL = 1e-5;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DDIMScheduler vs diffusers 0.25 (ddim.json)', () => {
  it('has all 54 step cases', () => {
    expect(fixture.step_cases.length).toBe(54);
  });

  /** One step of case `c` against diffusers: the largest errors of prev_sample and pred_original_sample. */
  function stepErrors(c: (typeof fixture.step_cases)[number]): { prev: number; x0: number } {
    const s = DDIMScheduler.fromConfig(caseConfig(c));
    s.setTimesteps(c.num_inference_steps);
    expect(s.timesteps).toEqual(c.timesteps);
    expect(c.step_t).toBe(c.timesteps[0]);

    const sample = tf.tensor(c.sample, [1, 2, 2, 2]);
    const modelOutput = tf.tensor(c.model_output, [1, 2, 2, 2]);
    const before = tf.memory().numTensors;
    const out = s.step(modelOutput, c.step_t, sample);
    expect(tf.memory().numTensors - before).toBe(2);
    expect(out.prevSample.shape).toEqual([1, 2, 2, 2]);
    const prev = maxAbsDiff(out.prevSample.dataSync(), c.prev_sample);
    const x0 = maxAbsDiff(out.predOriginalSample.dataSync(), c.pred_original_sample);
    tf.dispose([sample, modelOutput, out.prevSample, out.predOriginalSample]);
    return { prev, x0 };
  }

  for (const c of fixture.step_cases) {
    const name = `${c.beta_schedule} ${c.prediction_type} ${c.timestep_spacing} n=${c.num_inference_steps}`;
    it(name, () => {
      const { prev, x0 } = stepErrors(c);
      expect(prev).toBeLessThan(TOL);
      expect(x0).toBeLessThan(TOL);
    });
  }
  // Computes every case itself (not from the tests above), so it holds when run alone.
  it('reports the worst errors over all step cases', () => {
    const errors = fixture.step_cases.map(stepErrors);
    const worstPrev = Math.max(...errors.map((e) => e.prev));
    const worstX0 = Math.max(...errors.map((e) => e.x0));
    console.info(`ddim.json step cases (${errors.length}): max |prev_sample err| = ${worstPrev}, max |pred_original_sample err| = ${worstX0}`);
    expect(errors).toHaveLength(54);
    expect(worstPrev).toBeLessThan(TOL);
    expect(worstX0).toBeLessThan(TOL);
  });

  describe('noise section (scaled_linear)', () => {
    const n = fixture.noise;
    const s = new DDIMScheduler({ beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' });

    it('alphas_cumprod', () => {
      expect(maxAbsDiff(s.alphasCumprod, n.alphas_cumprod_scaled_linear)).toBeLessThan(TOL);
    });

    for (const kind of ['array', 'int32 tensor', 'float32 tensor'] as const) {
      it(`add_noise and get_velocity with ${kind} timesteps`, () => {
        const x0 = tf.tensor2d(n.x0);
        const noise = tf.tensor2d(n.noise);
        const ts =
          kind === 'array' ? n.timesteps : tf.tensor1d(n.timesteps, kind === 'int32 tensor' ? 'int32' : 'float32');
        const before = tf.memory().numTensors;
        const noisy = s.addNoise(x0, noise, ts);
        const v = s.getVelocity(x0, noise, ts);
        expect(tf.memory().numTensors - before).toBe(2);
        expect(maxAbsDiff(noisy.dataSync(), n.add_noise.flat())).toBeLessThan(TOL);
        expect(maxAbsDiff(v.dataSync(), n.get_velocity.flat())).toBeLessThan(TOL);
        tf.dispose([x0, noise, noisy, v, ts as tf.Tensor]);
      });
    }
  });
});

describe('DDIMScheduler semantics', () => {
  const sd = () =>
    new DDIMScheduler({
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      clip_sample: false,
      set_alpha_to_one: false,
      steps_offset: 1,
      prediction_type: 'v_prediction',
    });

  it('satisfies the NoiseScheduler contract', () => {
    const s: NoiseScheduler = sd();
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([751, 501, 251, 1]);
  });

  it('one step from pure noise with a perfect v recovers x0 (trailing, zero terminal SNR)', () => {
    const s = new DDIMScheduler({
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      clip_sample: false,
      set_alpha_to_one: true,
      prediction_type: 'v_prediction',
      timestep_spacing: 'trailing',
      rescale_betas_zero_snr: true,
    });
    s.setTimesteps(1);
    const t = at(s.timesteps, 0);
    expect(t).toBe(999);
    expect(s.alphaProd(t)).toBe(0);
    const rng = createRng(7);
    const x0 = rng.normal([1, 4, 4, 2]);
    const eps = rng.normal([1, 4, 4, 2]);
    const xt = s.addNoise(x0, eps, [t]);
    const v = s.getVelocity(x0, eps, [t]);
    const out = s.step(v, t, xt);
    // With set_alpha_to_one the step lands on alpha_bar = 1: prevSample is x0 itself.
    expect(maxAbsDiff(out.prevSample.dataSync(), x0.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.predOriginalSample.dataSync(), x0.dataSync())).toBeLessThan(1e-6);
    tf.dispose([x0, eps, xt, v, out.prevSample, out.predOriginalSample]);
  });

  it('clips x0 to clip_sample_range and can re-derive epsilon from it', () => {
    const s = new DDIMScheduler({ clip_sample: true, clip_sample_range: 0.5, prediction_type: 'sample' });
    s.setTimesteps(10);
    const t = at(s.timesteps, 2);
    const tPrev = s.previousTimestep(t);
    const x0 = tf.tensor1d([-2, -0.25, 0.25, 2]);
    const xt = tf.tensor1d([0.3, -0.1, 0.2, 1.5]);
    const plain = s.step(x0, t, xt);
    const clipped = s.step(x0, t, xt, { useClippedModelOutput: true });
    const x0c = [-0.5, -0.25, 0.25, 0.5];
    expect(Array.from(plain.predOriginalSample.dataSync())).toEqual(x0c);
    // Independent float64 evaluation of DDIM eq. 12 with eta = 0.
    const a = s.alphaProd(t);
    const ap = s.alphaProd(tPrev);
    const xtv = [0.3, -0.1, 0.2, 1.5];
    const x0v = [-2, -0.25, 0.25, 2];
    const expectPlain = xtv.map((x, i) => Math.sqrt(ap) * at(x0c, i) + Math.sqrt(1 - ap) * ((x - Math.sqrt(a) * at(x0v, i)) / Math.sqrt(1 - a)));
    const expectClipped = xtv.map((x, i) => Math.sqrt(ap) * at(x0c, i) + Math.sqrt(1 - ap) * ((x - Math.sqrt(a) * at(x0c, i)) / Math.sqrt(1 - a)));
    expect(maxAbsDiff(plain.prevSample.dataSync(), expectPlain)).toBeLessThan(1e-5);
    expect(maxAbsDiff(clipped.prevSample.dataSync(), expectClipped)).toBeLessThan(1e-5);
    tf.dispose([x0, xt, plain.prevSample, plain.predOriginalSample, clipped.prevSample, clipped.predOriginalSample]);
  });

  it('eta > 0 adds sigma * noise (independent float64 check with explicit varianceNoise)', () => {
    const s = sd();
    s.setTimesteps(4);
    const t = at(s.timesteps, 1);
    const a = s.alphaProd(t);
    const ap = s.alphaProd(s.previousTimestep(t));
    const eta = 0.7;
    const xtv = [0.5, -1.2, 0.3, 2.0];
    const vv = [0.1, 0.4, -0.9, 1.1];
    const zv = [1.5, -0.5, 0.25, -2.0];
    const sigma = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
    const expected = xtv.map((x, i) => {
      const x0 = Math.sqrt(a) * x - Math.sqrt(1 - a) * at(vv, i);
      const e = Math.sqrt(a) * at(vv, i) + Math.sqrt(1 - a) * x;
      return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - sigma * sigma) * e + sigma * at(zv, i);
    });
    const [xt, v, z] = [tf.tensor1d(xtv), tf.tensor1d(vv), tf.tensor1d(zv)];
    const out = s.step(v, t, xt, { eta, varianceNoise: z });
    expect(maxAbsDiff(out.prevSample.dataSync(), expected)).toBeLessThan(1e-5);
    tf.dispose([xt, v, z, out.prevSample, out.predOriginalSample]);
  });

  it('eta > 0 with an rng is reproducible from the seed and differs across seeds', () => {
    const s = sd();
    s.setTimesteps(4);
    const t = at(s.timesteps, 0);
    const xt = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 1);
    const v = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 2);
    const run = (seed: number) => {
      const out = s.step(v, t, xt, { eta: 1, rng: createRng(seed) });
      const data = out.prevSample.dataSync().slice();
      tf.dispose([out.prevSample, out.predOriginalSample]);
      return data;
    };
    const a = run(42);
    const b = run(42);
    const c = run(43);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0.01);
    // The rng draw is exactly the variance noise: same result as passing it explicitly.
    const z = createRng(42).normal(xt.shape);
    const explicit = s.step(v, t, xt, { eta: 1, varianceNoise: z });
    expect(Array.from(explicit.prevSample.dataSync())).toEqual(Array.from(a));
    const deterministic = s.step(v, t, xt);
    expect(maxAbsDiff(deterministic.prevSample.dataSync(), a)).toBeGreaterThan(0.01);
    tf.dispose([xt, v, z, explicit.prevSample, explicit.predOriginalSample, deterministic.prevSample, deterministic.predOriginalSample]);
  });

  it('alphasCumprodAt shapes per-item alpha_bar for broadcasting', () => {
    const s = sd();
    const perItem = s.alphasCumprodAt([0, 500, 999], 4);
    expect(perItem.shape).toEqual([3, 1, 1, 1]);
    const ac = s.alphasCumprod;
    expect(maxAbsDiff(perItem.dataSync(), [at(ac, 0), at(ac, 500), at(ac, 999)])).toBe(0);
    const idx = tf.tensor1d([999, 0], 'int32');
    const perItem2 = s.alphasCumprodAt(idx, 2);
    expect(perItem2.shape).toEqual([2, 1]);
    expect(maxAbsDiff(perItem2.dataSync(), [at(ac, 999), at(ac, 0)])).toBe(0);
    tf.dispose([perItem, idx, perItem2]);
  });

  it('is leak-free on every path', () => {
    const s = sd();
    s.setTimesteps(4);
    const x = tf.ones([2, 4, 4, 4]);
    const y = tf.fill([2, 4, 4, 4], 0.5);
    const ts = tf.tensor1d([10, 900], 'int32');
    const tsf = tf.tensor1d([10, 900], 'float32');
    const clip = new DDIMScheduler({ clip_sample: true, prediction_type: 'epsilon' });
    clip.setTimesteps(50);
    expect(leakedBy(() => s.step(y, 751, x))).toBe(0);
    expect(leakedBy(() => s.step(y, 751, x, { eta: 0.5, rng: createRng(1) }))).toBe(0);
    expect(leakedBy(() => s.step(y, 751, x, { eta: 0.5, varianceNoise: y }))).toBe(0);
    expect(leakedBy(() => clip.step(y, 981, x, { useClippedModelOutput: true }))).toBe(0);
    expect(leakedBy(() => s.addNoise(x, y, [3, 4]))).toBe(0);
    expect(leakedBy(() => s.addNoise(x, y, ts))).toBe(0);
    expect(leakedBy(() => s.getVelocity(x, y, tsf))).toBe(0);
    expect(leakedBy(() => s.alphasCumprodAt(ts, 4))).toBe(0);
    // Failing calls leak nothing either.
    const before = tf.memory().numTensors;
    expect(() => s.addNoise(x, y, [1, 2, 3])).toThrow(SchedulerUsageError);
    expect(() => s.step(y, 5000, x)).toThrow(SchedulerUsageError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, ts, tsf]);
  });
});

describe('DDIMScheduler usage errors', () => {
  const s = new DDIMScheduler({ prediction_type: 'v_prediction' });
  const x = tf.zeros([1, 2, 2, 1]);
  const other = tf.zeros([1, 2, 2, 2]);

  it('step before setTimesteps', () => {
    const fresh = new DDIMScheduler();
    expect(() => fresh.step(x, 999, x)).toThrow(/setTimesteps/);
  });

  it('bad timesteps, shapes, eta and noise sources', () => {
    s.setTimesteps(10);
    expect(() => s.step(x, 1000, x)).toThrow(/\[0, 1000\)/);
    expect(() => s.step(x, -1, x)).toThrow(SchedulerUsageError);
    expect(() => s.step(x, 2.5, x)).toThrow(SchedulerUsageError);
    expect(() => s.step(other, 901, x)).toThrow(/same shape/);
    expect(() => s.step(x, 901, x, { eta: -1 })).toThrow(/eta/);
    expect(() => s.step(x, 901, x, { eta: 0.5 })).toThrow(/rng/);
    expect(() => s.step(x, 901, x, { eta: 0.5, rng: createRng(1), varianceNoise: x })).toThrow(/not both/);
    expect(() => s.step(x, 901, x, { eta: 0.5, varianceNoise: other })).toThrow(/varianceNoise/);
    expect(() => s.step(x, 901, x, { eta: 5, varianceNoise: x })).toThrow(/eta in \[0, 1\]/);
    expect(() => s.setTimesteps(0)).toThrow(SchedulerUsageError);
    expect(() => s.addNoise(x, other, [1])).toThrow(/same shape/);
    expect(() => s.addNoise(x, x, [1000])).toThrow(SchedulerUsageError);
    expect(() => s.alphasCumprodAt([1], 0)).toThrow(/rank/);
    expect(() => s.alphaProd(1000)).toThrow(SchedulerUsageError);
  });
});
