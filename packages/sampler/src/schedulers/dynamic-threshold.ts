import * as tf from '@tensorflow/tfjs-core';
import { SchedulerUsageError } from './errors.js';

const f32 = Math.fround;

/**
 * Dynamic thresholding of a predicted x0 (Saharia et al. 2022, "Imagen"; diffusers'
 * `_threshold_sample`): per batch item, `s` is the `ratio` quantile of `|x0|` over all its
 * elements (linear interpolation, as `torch.quantile`), limited to `[1, maxValue]`; then x0
 * is clamped to `[-s, s]` and divided by `s`. With `s = 1` this is plain clipping to [-1, 1].
 * Layout-agnostic: the batch is axis 0, every other element of an item counts alike.
 * @param x0 `[N, ...]` float32; not disposed.
 * @param ratio Quantile in (0, 1] (`dynamic_thresholding_ratio`, 0.995 by default).
 * @param maxValue Upper bound of `s` (`sample_max_value`), > 0.
 * @returns Thresholded x0, same shape, in `[-1, 1]`; the caller owns it.
 */
export function dynamicThreshold(x0: tf.Tensor, ratio: number, maxValue: number): tf.Tensor {
  if (x0.rank < 1 || x0.size === 0) {
    throw new SchedulerUsageError(`dynamic thresholding needs a non-empty [N, ...] tensor; got [${x0.shape.join(', ')}].`);
  }
  const n = x0.shape[0]!;
  const m = x0.size / n;
  // torch.quantile's rank arithmetic runs in the tensor's dtype (float32).
  const rank = f32(f32(ratio) * (m - 1));
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const weight = f32(rank - below);
  return tf.tidy(() => {
    const flat = tf.reshape(x0, [n, m]);
    // The largest m - below values, descending: the last is ascending index `below`.
    const k = m - below;
    const top = tf.topk(tf.abs(flat), k).values;
    const low = tf.slice(top, [0, k - 1], [n, 1]);
    const high = tf.slice(top, [0, k - 1 - (above - below)], [n, 1]);
    // torch.lerp's two forms, chosen by the weight, as it evaluates them.
    const quantile =
      weight < 0.5 ? tf.add(low, tf.mul(weight, tf.sub(high, low))) : tf.sub(high, tf.mul(tf.sub(high, low), f32(1 - weight)));
    // torch.clamp(s, min=1, max=maxValue): the max wins when maxValue < 1.
    const s = tf.minimum(tf.maximum(quantile, 1), maxValue);
    const clamped = tf.minimum(tf.maximum(flat, tf.neg(s)), s);
    return tf.reshape(tf.div(clamped, s), x0.shape);
  });
}
