import * as tf from '@tensorflow/tfjs-core';

/** How a noisy image is finalized (BasicSR's `clip` / `rounds` flags). */
export interface NoiseOutputOptions {
  /** Clamp the result to [0, 1]. Default `true`. */
  readonly clip?: boolean;
  /** Quantize the result to 8-bit levels (`round(x * 255) / 255`). Default `false`. */
  readonly rounds?: boolean;
}

/** `img + noise`, then BasicSR's clip/round step. Call inside a tidy. */
export function finishNoisy(images: tf.Tensor4D, noise: tf.Tensor, options: NoiseOutputOptions): tf.Tensor4D {
  const out = tf.add(images, noise) as tf.Tensor4D;
  const clip = options.clip ?? true;
  const rounds = options.rounds ?? false;
  if (clip && rounds) {
    return tf.div(tf.clipByValue(tf.round(tf.mul(out, 255)), 0, 255), 255);
  }
  if (clip) {
    return tf.clipByValue(out, 0, 1);
  }
  if (rounds) {
    return tf.div(tf.round(tf.mul(out, 255)), 255);
  }
  return out;
}

/** One number per sample from a scalar or a list (checked against the batch size). */
export function perSample<T>(value: T | readonly T[], n: number, what: string, fail: (message: string) => never): readonly T[] {
  if (Array.isArray(value)) {
    if (value.length !== n) {
      fail(`${what}: got ${value.length} values for ${n} images; pass one value or one per image.`);
    }
    return value as readonly T[];
  }
  return new Array<T>(n).fill(value as T);
}

/** A `[N, 1, 1, 1]` float32 tensor of per-sample values, to broadcast over NHWC. */
export function sampleColumn(values: readonly number[]): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1], 'float32');
}
