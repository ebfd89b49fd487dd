import * as tf from '@tensorflow/tfjs-core';
import { checkRank } from './check.js';
import { NnArgumentError } from './errors.js';

function checkShapes(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number): void {
  const where = 'multiHeadAttention';
  checkRank(`${where} q`, q, [3], '[N, L, heads * d]');
  checkRank(`${where} k`, k, [3], '[N, S, heads * d]');
  checkRank(`${where} v`, v, [3], '[N, S, heads * d]');
  const [n, , inner] = q.shape as [number, number, number];
  if (!Number.isInteger(heads) || heads <= 0 || inner % heads !== 0) {
    throw new NnArgumentError(
      `${where}: heads must be a positive integer dividing the channels of q (${inner}), got ${heads}.`,
    );
  }
  const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  if (k.shape[0] !== n || k.shape[2] !== inner || !same(k.shape, v.shape)) {
    throw new NnArgumentError(
      `${where}: k and v must both be [${n}, S, ${inner}] (batch and channels of q [${q.shape.join(', ')}]), ` +
        `got k [${k.shape.join(', ')}] and v [${v.shape.join(', ')}]; project the context to q's width first.`,
    );
  }
}

/**
 * Multi-head scaled dot-product attention, `softmax(q_h k_hᵀ) v_h` for every sample and
 * head `h`, heads concatenated back along the channels (diffusers' default attention
 * processor, without the projections).
 *
 * Every product is a rank-2 `matMul` without transpose flags, one pair per (sample, head):
 * queries and values are laid out head-major (`[N * heads * L, d]`) and the keys transposed
 * once (`[N * heads * d, S]`), so each head is a contiguous row block. The usual batched
 * `[N * heads, L, d]` formulation with `transposeB` is what tfjs-wasm runs through a scalar
 * fallback loop (5-10x slower); this layout runs at full speed on every backend, and its
 * gradient is made of slices, concats and plain matMuls, which every backend has.
 *
 * @param q Queries `[N, L, heads * d]`, float32, **already multiplied by the score scale**
 *   (usually `1 / sqrt(d)`): scaling `q` costs `L * d` multiplications, the scores `L * S`.
 * @param k Keys `[N, S, heads * d]`, float32.
 * @param v Values `[N, S, heads * d]`, float32.
 * @param heads Number of heads; divides the channel count, channel `c` belongs to head `floor(c / d)`.
 * @returns `[N, L, heads * d]`, float32; a new tensor (intermediates are disposed).
 * @throws {@link NnArgumentError} for ranks other than 3, mismatched batch or channel sizes,
 *   or a `heads` that does not divide the channels.
 */
export function multiHeadAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  checkShapes(q, k, v, heads);
  return tf.tidy(() => {
    const [n, l, inner] = q.shape;
    const s = k.shape[1];
    const d = inner / heads;
    const blocks = n * heads;
    if (blocks === 1) {
      const kt = tf.transpose(tf.reshape(k, [s, d]));
      const scores = tf.matMul(tf.reshape(q, [l, d]), kt);
      return tf.reshape(tf.matMul(tf.softmax(scores), tf.reshape(v, [s, d])), [1, l, inner]);
    }
    const headMajor = (x: tf.Tensor3D, len: number): tf.Tensor2D =>
      tf.reshape(tf.transpose(tf.reshape(x, [n, len, heads, d]), [0, 2, 1, 3]), [blocks * len, d]);
    const qh = headMajor(q, l);
    const vh = headMajor(v, s);
    const kt = tf.reshape(tf.transpose(tf.reshape(k, [n, s, heads, d]), [0, 2, 3, 1]), [blocks * d, s]);
    const outs: tf.Tensor2D[] = [];
    for (let i = 0; i < blocks; i++) {
      const scores = tf.matMul(tf.slice(qh, [i * l, 0], [l, d]), tf.slice(kt, [i * d, 0], [d, s]));
      outs.push(tf.matMul(tf.softmax(scores), tf.slice(vh, [i * s, 0], [s, d])));
    }
    const o = tf.reshape(tf.concat(outs, 0), [n, heads, l, d]);
    return tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [n, l, inner]);
  });
}
