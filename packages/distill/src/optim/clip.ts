import * as tf from '@tensorflow/tfjs-core';
import { TrainingArgumentError } from '../errors.js';

/** Gradients by variable name; `null`/`undefined` entries (no gradient) are skipped. */
export type GradientMap = ReadonlyMap<string, tf.Tensor | null | undefined>;

/** Result of {@link clipGradNorm}. The caller owns every tensor in it. */
export interface ClippedGradients {
  /** The scaled gradients, same names and shapes (entries without a gradient are left out). */
  readonly grads: Map<string, tf.Tensor>;
  /** The global L2 norm before clipping, a float32 scalar (may be NaN/Infinity: check it). */
  readonly norm: tf.Scalar;
}

/**
 * Global L2 norm of all gradients, `sqrt(sum_i ||g_i||^2)`, computed as PyTorch's
 * `clip_grad_norm_` does (the norm of the per-tensor norms). On the device, no download.
 * @returns A float32 scalar the caller disposes (0 when there is no gradient).
 */
export function globalGradNorm(grads: GradientMap): tf.Scalar {
  return tf.tidy(() => {
    const norms = [...grads.values()].filter((g): g is tf.Tensor => g != null).map((g) => tf.sqrt(tf.sum(tf.square(g))));
    if (norms.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.sum(tf.square(tf.stack(norms)))) as tf.Scalar;
  });
}

/**
 * `torch.nn.utils.clip_grad_norm_` without mutation: scales every gradient by
 * `min(1, maxNorm / (norm + 1e-6))`, where `norm` is {@link globalGradNorm}. The factor stays
 * on the device, so clipping needs no synchronous read (webgpu in Node has none).
 * @param maxNorm Positive; `Infinity` only measures (the factor is then exactly 1).
 * @returns New tensors; the inputs are not disposed.
 * @throws {@link TrainingArgumentError} unless `maxNorm > 0`.
 */
export function clipGradNorm(grads: GradientMap, maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0)) throw new TrainingArgumentError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}.`);
  const present = [...grads].filter((e): e is [string, tf.Tensor] => e[1] != null);
  const { norm, scaled } = tf.tidy(() => {
    const n = globalGradNorm(grads);
    const factor = tf.minimum(tf.div(maxNorm, tf.add(n, 1e-6)), 1);
    return { norm: n, scaled: present.map(([, g]) => tf.mul(g, factor)) };
  });
  return { grads: new Map(present.map(([name], i) => [name, scaled[i]!])), norm };
}
