import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { DiagonalGaussianDistribution, LOGVAR_MAX, LOGVAR_MIN, NnArgumentError } from '../src/nn/index.js';
import { createRng } from '../src/random/index.js';

// Host references in float64 on NHWC data; float32 results agree to ~1e-6 relative.
const TOL = 1e-5;
const N = 2;
const H = 3;
const W = 2;
const C = 3;

/** Moments with a spread of values, log-variances reaching beyond both clamp limits. */
function momentsData(): Float32Array {
  const data = new Float32Array(N * H * W * 2 * C);
  for (let i = 0; i < data.length; i++) {
    const channel = i % (2 * C);
    data[i] = channel < C ? Math.sin(i * 0.7) * 2 : Math.cos(i * 1.3) * 3;
  }
  // Push a few log-variances outside [-30, 20].
  data[C] = 45;
  data[2 * C + C + 1] = -80;
  return data;
}

function split(data: Float32Array): { mean: number[]; logvar: number[] } {
  const mean: number[] = [];
  const logvar: number[] = [];
  for (let p = 0; p < data.length / (2 * C); p++) {
    for (let c = 0; c < C; c++) mean.push(data[p * 2 * C + c]!);
    for (let c = 0; c < C; c++) logvar.push(Math.min(LOGVAR_MAX, Math.max(LOGVAR_MIN, data[p * 2 * C + C + c]!)));
  }
  return { mean, logvar };
}

function maxRel(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  let ref = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
    ref = Math.max(ref, Math.abs(expected[i]!));
  }
  return err / ref;
}

describe('DiagonalGaussianDistribution', () => {
  const data = momentsData();
  const ref = split(data);
  let moments: tf.Tensor4D;

  beforeAll(async () => {
    await useBackend('cpu');
    moments = tf.tensor4d(data, [N, H, W, 2 * C]);
  });

  it('fromMoments splits channels into mean then logvar and clamps logvar to [-30, 20]', () => {
    const before = tf.memory().numTensors;
    const p = DiagonalGaussianDistribution.fromMoments(moments);
    expect(p.mean.shape).toEqual([N, H, W, C]);
    expect(Array.from(p.mean.dataSync())).toEqual(ref.mean.map(Math.fround));
    expect(Array.from(p.logvar.dataSync())).toEqual(ref.logvar.map(Math.fround));
    expect(p.logvar.dataSync()[0]).toBe(LOGVAR_MAX);
    p.dispose();
    p.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(before);
    expect(moments.isDisposed).toBe(false);
  });

  it('sample(rng) is mean + exp(logvar / 2) * the generator\'s normal draw', () => {
    const p = DiagonalGaussianDistribution.fromMoments(moments);
    const before = tf.memory().numTensors;
    const s = p.sample(createRng(1234));
    const noiseT = createRng(1234).normal([N, H, W, C]);
    const noise = noiseT.dataSync();
    noiseT.dispose();
    const expected = ref.mean.map((m, i) => m + Math.exp(ref.logvar[i]! / 2) * noise[i]!);
    expect(maxRel(s.dataSync(), expected)).toBeLessThan(TOL);
    // Another draw from the same generator differs; the same seed reproduces it.
    const rng = createRng(99);
    const a = p.sample(rng);
    const b = p.sample(rng);
    const c = p.sample(createRng(99));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).toEqual(Array.from(c.dataSync()));
    tf.dispose([s, a, b, c]);
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('mode() is a copy of the mean the caller may dispose', () => {
    const p = DiagonalGaussianDistribution.fromMoments(moments);
    const m = p.mode();
    expect(m).not.toBe(p.mean);
    expect(Array.from(m.dataSync())).toEqual(Array.from(p.mean.dataSync()));
    m.dispose();
    expect(p.mean.isDisposed).toBe(false);
    p.dispose();
  });

  it('kl() and nll() match the closed forms per batch item', () => {
    const p = DiagonalGaussianDistribution.fromMoments(moments);
    const before = tf.memory().numTensors;
    const per = H * W * C;
    const klRef = [0, 0];
    for (let i = 0; i < ref.mean.length; i++) {
      const m = ref.mean[i]!;
      const lv = ref.logvar[i]!;
      klRef[Math.floor(i / per)]! += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
    }
    const kl = p.kl();
    expect(kl.shape).toEqual([N]);
    expect(maxRel(kl.dataSync(), klRef)).toBeLessThan(TOL);

    const x: tf.Tensor4D = tf.tidy(() => tf.add(p.mean, 0.25));
    const nllRef = [0, 0];
    for (let i = 0; i < ref.mean.length; i++) {
      const lv = ref.logvar[i]!;
      nllRef[Math.floor(i / per)]! += 0.5 * (Math.log(2 * Math.PI) + lv + 0.0625 / Math.exp(lv));
    }
    const nll = p.nll(x);
    expect(maxRel(nll.dataSync(), nllRef)).toBeLessThan(TOL);
    tf.dispose([kl, x, nll]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => p.nll(tf.zeros([1, 1, 1, C]) as tf.Tensor4D)).toThrow(NnArgumentError);
    p.dispose();
  });

  it('is differentiable through sample and kl', () => {
    const g = tf.grad((m: tf.Tensor) => {
      const d = DiagonalGaussianDistribution.fromMoments(m as tf.Tensor4D);
      return tf.add(tf.sum(d.sample(createRng(3))), tf.sum(d.kl()));
    })(moments);
    // d/dmean = 1 + mean; an unclamped d/dlogvar is nonzero, a clamped one is zero.
    const grads = g.dataSync();
    expect(grads[0]).toBeCloseTo(1 + data[0]!, 4);
    expect(grads[C]).toBe(0);
    g.dispose();
  });

  it('fromMoments rejects moments that are not NHWC with an even channel count', () => {
    const odd = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const flat = tf.zeros([2, 6]) as unknown as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() => DiagonalGaussianDistribution.fromMoments(odd)).toThrow(NnArgumentError);
    expect(() => DiagonalGaussianDistribution.fromMoments(flat)).toThrow(NnArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([odd, flat]);
  });
  it('the constructor takes over mean and logvar, clamping logvar into a copy', () => {
    const before = tf.memory().numTensors;
    const mean = tf.tensor4d(ref.mean, [N, H, W, C]);
    const logvar = tf.tensor4d(split(data).logvar.map((v, i) => (i === 0 ? 45 : i === 1 ? -80 : v)), [N, H, W, C]);
    const p = new DiagonalGaussianDistribution(mean, logvar);
    expect(p.mean).toBe(mean);
    expect(logvar.isDisposed).toBe(true);
    const clamped = Array.from(p.logvar.dataSync());
    expect(clamped[0]).toBe(LOGVAR_MAX);
    expect(clamped[1]).toBe(LOGVAR_MIN);
    expect(clamped.slice(2)).toEqual(ref.logvar.slice(2).map(Math.fround));
    p.dispose();
    expect(mean.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the constructor rejects a mean and logvar of different or non-NHWC shapes, taking nothing over', () => {
    const mean = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const other = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
    const flat = tf.zeros([4, 3]) as unknown as tf.Tensor4D;
    expect(() => new DiagonalGaussianDistribution(mean, other)).toThrow(NnArgumentError);
    expect(() => new DiagonalGaussianDistribution(flat, flat)).toThrow(NnArgumentError);
    // A caller of diffusers' one-argument form learns about fromMoments.
    expect(() => new (DiagonalGaussianDistribution as unknown as new (m: tf.Tensor4D) => unknown)(mean)).toThrow(/fromMoments/);
    expect([mean, other, flat].some((t) => t.isDisposed)).toBe(false);
    tf.dispose([mean, other, flat]);
  });
});
