import * as tf from '@tensorflow/tfjs-core';
import { createRng, imresize, useBackend } from '@yonos/core';
import type { Degradation, Rng, RngState } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BicubicDegradation,
  DegradeError,
  degradeWithSharedDraws,
  makeDistillationPair,
  RealESRGANDegradation,
  ShapeStableRng,
} from '../src/index.js';

/** A smooth-ish HR batch in [0, 1] with structure, so every degradation step changes it. */
function hrBatch(n: number, h: number, w: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const noise = createRng(seed).uniform([n, h, w, 3]) as tf.Tensor4D;
    const ramp = tf.reshape(tf.linspace(0, 1, w), [1, 1, w, 1]);
    return tf.clipByValue(tf.add(tf.mul(noise, 0.5), tf.mul(ramp, 0.5)), 0, 1) as tf.Tensor4D;
  });
}

function same(a: tf.Tensor, b: tf.Tensor): boolean {
  return a.shape.join() === b.shape.join() && tf.tidy(() => tf.all(tf.equal(a, b)).dataSync()[0] === 1);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function mse(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(a, b))).dataSync()[0]!);
}

interface Call {
  /** Which pair-level fork this call descends from (-1: the caller's own generator). */
  readonly origin: number;
  /** Fork keys from that origin down to the generator that made the call. */
  readonly path: string;
  readonly method: string;
  readonly value?: number;
  readonly shape?: string;
}

/** Records every draw and fork, so the tests can see what each degradation consumed. */
class RecordingRng implements Rng {
  static #ids = 0;
  constructor(
    readonly inner: Rng,
    readonly log: Call[],
    readonly origin = -1,
    readonly path = '',
  ) {}
  uniform(shape: readonly number[], min?: number, max?: number): tf.Tensor {
    this.log.push({ origin: this.origin, path: this.path, method: 'uniform', shape: shape.join('x') });
    return this.inner.uniform(shape, min, max);
  }
  normal(shape: readonly number[], mean?: number, std?: number): tf.Tensor {
    this.log.push({ origin: this.origin, path: this.path, method: 'normal', shape: shape.join('x') });
    return this.inner.normal(shape, mean, std);
  }
  nextFloat(): number {
    const value = this.inner.nextFloat();
    this.log.push({ origin: this.origin, path: this.path, method: 'nextFloat', value });
    return value;
  }
  nextInt(min: number, max: number): number {
    const value = this.inner.nextInt(min, max);
    this.log.push({ origin: this.origin, path: this.path, method: 'nextInt', value });
    return value;
  }
  fork(key: string | number): Rng {
    const origin = this.origin === -1 ? RecordingRng.#ids++ : this.origin;
    return new RecordingRng(this.inner.fork(key), this.log, origin, this.origin === -1 ? '' : `${this.path}/${key}`);
  }
  getState(): RngState {
    return this.inner.getState();
  }
  setState(state: RngState): void {
    this.inner.setState(state);
  }
}

/** The calls of each pair-level fork, in the order the forks were made. */
function callsByOrigin(log: readonly Call[]): Call[][] {
  const origins = [...new Set(log.map((c) => c.origin).filter((o) => o !== -1))];
  return origins.map((o) => log.filter((c) => c.origin === o));
}

const strip = (calls: readonly Call[]): Omit<Call, 'origin'>[] => calls.map(({ origin: _origin, ...rest }) => rest);

describe('makeDistillationPair', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('returns the student at 1/N, the teacher at 2/N and both upsampled to HR size', () => {
    const hr = hrBatch(2, 32, 24, 1);
    for (const factor of [2, 4, 8]) {
      const pair = makeDistillationPair(hr, factor, new BicubicDegradation(), createRng(1));
      expect(pair.student.shape).toEqual([2, 32 / factor, 24 / factor, 3]);
      expect(pair.teacher.shape).toEqual([2, 64 / factor, 48 / factor, 3]);
      expect(pair.studentUp.shape).toEqual([2, 32, 24, 3]);
      expect(pair.teacherUp.shape).toEqual([2, 32, 24, 3]);
      tf.dispose(pair);
    }
    hr.dispose();
  });

  it('for bicubic, equals direct MATLAB imresize of the same HR, down and back up', () => {
    const hr = hrBatch(1, 32, 32, 2);
    const pair = makeDistillationPair(hr, 4, new BicubicDegradation({ quantize: false }), createRng(5));
    const student = imresize(hr, { height: 8, width: 8 });
    const teacher = imresize(hr, { height: 16, width: 16 });
    const studentUp = imresize(student, 4);
    const teacherUp = imresize(teacher, 2);
    expect(same(pair.student, student)).toBe(true);
    expect(same(pair.teacher, teacher)).toBe(true);
    expect(same(pair.studentUp, studentUp)).toBe(true);
    expect(same(pair.teacherUp, teacherUp)).toBe(true);
    // The two inputs really differ: the student lost more.
    expect(mse(pair.studentUp, hr)).toBeGreaterThan(mse(pair.teacherUp, hr));
    tf.dispose([pair, student, teacher, studentUp, teacherUp, hr]);
  });

  it('for bicubic at factor 2, the teacher is the HR image itself (8-bit quantized)', () => {
    const hr = hrBatch(1, 16, 16, 3);
    const pair = makeDistillationPair(hr, 2, new BicubicDegradation(), createRng(0));
    const quantized = tf.tidy(() => tf.div(tf.round(tf.mul(hr, 255)), 255));
    expect(maxAbsDiff(pair.teacher, quantized)).toBeLessThan(1e-6);
    expect(maxAbsDiff(pair.teacherUp, quantized)).toBeLessThan(1e-6);
    tf.dispose([pair, hr, quantized]);
  });

  it('for Real-ESRGAN, gives equal outputs when both scales are equal (one shared sample)', () => {
    const hr = hrBatch(2, 32, 32, 4);
    const d = new RealESRGANDegradation();
    for (const seed of [11, 12, 13]) {
      const [a, b] = degradeWithSharedDraws(hr, [4, 4], d, createRng(seed));
      expect(same(a!, b!)).toBe(true);
      tf.dispose([a!, b!]);
    }
    hr.dispose();
  });

  it('for Real-ESRGAN, teacher and student make the same host draws and the same sequence of noise streams', () => {
    const hr = hrBatch(1, 32, 32, 5);
    const d = new RealESRGANDegradation();
    for (const seed of [21, 22, 23, 24]) {
      const log: Call[] = [];
      const pair = makeDistillationPair(hr, 4, d, new RecordingRng(createRng(seed), log));
      const [student, teacher] = callsByOrigin(log);
      expect(student!.length).toBeGreaterThan(20);
      // Identical calls, values and fork paths, except the shapes of tensors drawn after the resize to the target size.
      const withoutShapes = (calls: readonly Call[]) => strip(calls).map(({ shape: _shape, ...rest }) => rest);
      expect(withoutShapes(teacher!)).toEqual(withoutShapes(student!));
      const tensorShapes = (calls: readonly Call[]) => calls.filter((c) => c.shape !== undefined).map((c) => c.shape);
      const sShapes = tensorShapes(student!);
      const tShapes = tensorShapes(teacher!);
      // One noise draw (two for gray Gaussian noise) in each of the two passes.
      expect(sShapes.length).toBeGreaterThanOrEqual(2);
      // The first pass (at HR scale) draws the same-size noise for both, the second pass does not.
      expect(tShapes[0]).toBe(sShapes[0]);
      expect(tShapes.some((s, i) => s !== sShapes[i])).toBe(true);
      // The caller's generator itself gave only the two key draws.
      expect(log.filter((c) => c.origin === -1).map((c) => c.method)).toEqual(['nextInt', 'nextInt']);
      tf.dispose(pair);
    }
    hr.dispose();
  });

  it('needs the shape-stable generator: identical plain forks fall out of step at different sizes', () => {
    const hr = hrBatch(1, 32, 32, 5);
    const d = new RealESRGANDegradation();
    const log: Call[] = [];
    const rng = new RecordingRng(createRng(21), log);
    const a = d.degrade(hr, 4, rng.fork('same'));
    const b = d.degrade(hr, 2, rng.fork('same'));
    const [first, second] = callsByOrigin(log);
    const hostValues = (calls: readonly Call[]) => calls.filter((c) => c.value !== undefined).map((c) => c.value);
    expect(hostValues(second!)).not.toEqual(hostValues(first!));
    tf.dispose([a, b, hr]);
  });

  it('is reproducible per seed, differs across seeds and advances the generator', () => {
    const hr = hrBatch(1, 32, 32, 6);
    const d = new RealESRGANDegradation();
    const a = makeDistillationPair(hr, 4, d, createRng(7));
    const b = makeDistillationPair(hr, 4, d, createRng(7));
    const c = makeDistillationPair(hr, 4, d, createRng(8));
    for (const k of ['student', 'teacher', 'studentUp', 'teacherUp'] as const) {
      expect(same(a[k], b[k])).toBe(true);
    }
    expect(maxAbsDiff(a.teacher, c.teacher)).toBeGreaterThan(0);
    const rng = createRng(7);
    const first = makeDistillationPair(hr, 4, d, rng);
    const second = makeDistillationPair(hr, 4, d, rng);
    expect(same(first.student, a.student)).toBe(true);
    expect(maxAbsDiff(first.student, second.student)).toBeGreaterThan(0);
    tf.dispose([a, b, c, first, second, hr]);
  });

  it('is leak-free, also when the degradation fails half-way', () => {
    const hr = hrBatch(1, 16, 16, 7);
    const before = tf.memory().numTensors;
    const pair = makeDistillationPair(hr, 4, new RealESRGANDegradation(), createRng(1));
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.dispose(pair);
    expect(tf.memory().numTensors).toBe(before);

    let calls = 0;
    const failing: Degradation = {
      degrade(x, scale) {
        if (++calls === 2) throw new Error('teacher failed');
        return new BicubicDegradation().degrade(x, scale);
      },
    };
    expect(() => makeDistillationPair(hr, 4, failing, createRng(1))).toThrow('teacher failed');
    expect(tf.memory().numTensors).toBe(before);
    hr.dispose();
  });

  it('rejects odd factors and HR sizes that the factor does not divide', () => {
    const hr = hrBatch(1, 12, 12, 8);
    const d = new BicubicDegradation();
    expect(() => makeDistillationPair(hr, 3, d, createRng(1))).toThrow(DegradeError);
    expect(() => makeDistillationPair(hr, 8, d, createRng(1))).toThrow(/crop the batch to a multiple of 8/);
    expect(() => degradeWithSharedDraws(hr, [], d, createRng(1))).toThrow(DegradeError);
    expect(() => degradeWithSharedDraws(hr, [5], d, createRng(1))).toThrow(DegradeError);
    hr.dispose();
  });
});

describe('ShapeStableRng', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('keeps host draws independent of earlier tensor shapes, and tensor streams aligned', () => {
    const a = new ShapeStableRng(createRng(3));
    const b = new ShapeStableRng(createRng(3));
    const small = a.normal([2, 3]);
    const large = b.normal([4, 5]);
    expect(a.nextFloat()).toBe(b.nextFloat());
    expect(a.nextInt(0, 1000)).toBe(b.nextInt(0, 1000));
    // The smaller draw is a prefix of the larger one (same stream).
    expect(Array.from(small.dataSync())).toEqual(Array.from(large.dataSync()).slice(0, 6));
    const u1 = a.uniform([3]);
    const u2 = b.uniform([3]);
    expect(Array.from(u1.dataSync())).toEqual(Array.from(u2.dataSync()));
    tf.dispose([small, large, u1, u2]);
  });

  it('resumes from getState and forks into shape-stable generators', () => {
    const a = new ShapeStableRng(createRng(4));
    a.normal([8]).dispose();
    const state = a.getState();
    const x = a.nextFloat();
    const t = a.uniform([5]);
    a.setState(state);
    expect(a.nextFloat()).toBe(x);
    const t2 = a.uniform([5]);
    expect(Array.from(t2.dataSync())).toEqual(Array.from(t.dataSync()));
    const f = a.fork('k');
    expect(f).toBeInstanceOf(ShapeStableRng);
    expect(f.nextFloat()).toBe(new ShapeStableRng(createRng(4)).fork('k').nextFloat());
    tf.dispose([t, t2]);
  });
});
