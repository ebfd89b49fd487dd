import * as tf from '@tensorflow/tfjs-core';
import { TrainingArgumentError } from '../errors.js';
import { DEFAULT_CHUNK_ELEMENTS, packFlat } from './flat-chunks.js';

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
 *
 * Gradients of equal size are reduced together as the rows of one matrix (one `Sum` per size
 * instead of one per gradient): a backend sums each row in the same order as it sums a tensor
 * of that size on its own, so every per-tensor norm, and the result, are those of reducing the
 * gradients one by one.
 * @returns A float32 scalar the caller disposes (0 when there is no gradient).
 */
export function globalGradNorm(grads: GradientMap): tf.Scalar {
  const present = [...grads.values()].filter((g): g is tf.Tensor => g != null);
  return tf.tidy(() => {
    if (present.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.sum(tf.square(tf.sqrt(squaredNorms(present))))) as tf.Scalar;
  });
}

/** `sum(g * g)` of every tensor, as a vector in the tensors' order. Call inside `tf.tidy`. */
function squaredNorms(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  const bySize = new Map<number, number[]>();
  tensors.forEach((t, i) => {
    const same = bySize.get(t.size);
    if (same === undefined) bySize.set(t.size, [i]);
    else same.push(i);
  });
  const parts: tf.Tensor1D[] = [];
  const order: number[] = [];
  for (const [size, members] of bySize) {
    if (size === 0) {
      parts.push(tf.zeros([members.length]));
      order.push(...members);
      continue;
    }
    // Rows per matrix bounded like the optimizer's chunks (temporary memory).
    const rowsPerBlock = Math.max(1, Math.floor(DEFAULT_CHUNK_ELEMENTS / size));
    for (let first = 0; first < members.length; first += rowsPerBlock) {
      const rows = members.slice(first, first + rowsPerBlock);
      const packed = packFlat(rows.map((i) => tensors[i]!));
      const squares = tf.square(tf.reshape(packed, [rows.length, size]));
      packed.dispose();
      parts.push(tf.sum(squares, 1));
      squares.dispose();
      order.push(...rows);
    }
  }
  const grouped = parts.length === 1 ? parts[0]! : (tf.concat(parts) as tf.Tensor1D);
  if (order.every((i, j) => i === j)) return grouped;
  // grouped[j] belongs to tensor order[j]: gather each tensor's entry back into place.
  const position = new Array<number>(order.length);
  order.forEach((i, j) => (position[i] = j));
  return tf.gather(grouped, tf.tensor1d(position, 'int32'));
}

/**
 * The clipping factor of `torch.nn.utils.clip_grad_norm_`, `min(1, maxNorm / (norm + 1e-6))`,
 * as a float32 scalar on the device (no synchronous read: webgpu in Node has none).
 * @param norm The global gradient norm ({@link globalGradNorm}); not disposed.
 * @param maxNorm Positive; `Infinity` gives exactly 1.
 * @returns A new scalar the caller disposes.
 * @throws {@link TrainingArgumentError} unless `maxNorm > 0`.
 */
export function clipFactor(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  if (!(maxNorm > 0)) throw new TrainingArgumentError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}.`);
  return tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1));
}

/**
 * `torch.nn.utils.clip_grad_norm_` without mutation: scales every gradient by
 * {@link clipFactor} of {@link globalGradNorm}. The factor stays on the device, so clipping
 * needs no synchronous read. (The training loop instead hands the factor to `AdamW.step` as
 * `gradScale`, which applies it to the concatenated gradients: the same products.)
 * @param maxNorm Positive; `Infinity` only measures (the factor is then exactly 1).
 * @returns New tensors; the inputs are not disposed.
 * @throws {@link TrainingArgumentError} unless `maxNorm > 0`.
 */
export function clipGradNorm(grads: GradientMap, maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0)) throw new TrainingArgumentError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}.`);
  const present = [...grads].filter((e): e is [string, tf.Tensor] => e[1] != null);
  const { norm, scaled } = tf.tidy(() => {
    const n = globalGradNorm(grads);
    const factor = clipFactor(n, maxNorm);
    return { norm: n, scaled: present.map(([, g]) => tf.mul(g, factor)) };
  });
  return { grads: new Map(present.map(([name], i) => [name, scaled[i]!])), norm };
}
