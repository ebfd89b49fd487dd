import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from './tensor-args.js';

// 2*pi in three float32 parts (Cody-Waite): C1 has 8 significant bits, so k*C1 is exact for
// |k| < 2^16, and x - k*C1 is then exact; C2 and C3 carry the rest.
const TWO_PI = 2 * Math.PI;
const C1 = 6.28125;
const C2 = Math.fround(TWO_PI - C1);
const C3 = Math.fround(TWO_PI - C1 - C2);
const INV_TWO_PI = Math.fround(1 / TWO_PI);

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}
// Taylor coefficients in r^2; on |r| <= pi the first omitted terms are 2e-8 (sin) and 4e-9 (cos).
const SIN_COEFFS = Array.from({ length: 9 }, (_, k) => (k % 2 === 0 ? 1 : -1) / factorial(2 * k + 1));
const COS_COEFFS = Array.from({ length: 10 }, (_, k) => (k % 2 === 0 ? 1 : -1) / factorial(2 * k));

function reduce(x: tf.Tensor): tf.Tensor {
  const k = tf.round(tf.mul(x, INV_TWO_PI));
  return tf.sub(tf.sub(tf.sub(x, tf.mul(k, C1)), tf.mul(k, C2)), tf.mul(k, C3));
}

function horner(r2: tf.Tensor, coeffs: readonly number[]): tf.Tensor {
  let p: tf.Tensor = tf.fill(r2.shape, coeffs[coeffs.length - 1] ?? 0);
  for (let i = coeffs.length - 2; i >= 0; i--) p = tf.add(tf.mul(p, r2), coeffs[i] ?? 0);
  return p;
}

/**
 * `sin(x)` from exactly rounded float32 arithmetic only: Cody-Waite reduction to `[-pi, pi]`
 * and a degree-17 polynomial; absolute error about 5e-7 for `|x| < 4e5`.
 * @param x any shape, float32.
 */
export function preciseSin(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const r = reduce(x);
    return tf.mul(r, horner(tf.square(r), SIN_COEFFS));
  });
}

/** `cos(x)` as {@link preciseSin} computes `sin(x)`: reduction and a degree-18 polynomial. */
export function preciseCos(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const r = reduce(x);
    return horner(tf.square(r), COS_COEFFS);
  });
}

/**
 * `Sin` through {@link preciseSin}. Registered for webgpu: WGSL only requires `sin`/`cos` to be
 * within 2^-11 absolute on `[-pi, pi]` (and nothing outside), and SwiftShader's are off by up to
 * 2e-4 there, which breaks 1e-4 agreement with the other backends (timestep embeddings feed
 * arguments up to ~1000 to them).
 */
export const sinKernel: tf.KernelFunc = ({ inputs }) =>
  tf.tidy(() => preciseSin(tf.cast(asTensor(inputs['x'], 'x'), 'float32')));

/** `Cos` through {@link preciseCos}; see {@link sinKernel}. */
export const cosKernel: tf.KernelFunc = ({ inputs }) =>
  tf.tidy(() => preciseCos(tf.cast(asTensor(inputs['x'], 'x'), 'float32')));
