import * as tf from '@tensorflow/tfjs-core';
import type { Attention, Dropout, Linear } from '@yonos/core';

/**
 * Multi-head scaled dot-product attention on `[N, L, heads * d]` queries and `[N, S, heads * d]`
 * keys/values, as one rank-2 `matMul` pair per (sample, head) with no transpose flags. Queries
 * and values are laid out head-major (`[N * heads * L, d]`) and keys transposed
 * (`[N * heads * d, S]`) with one transpose each, so every head is a contiguous row block.
 * This is the layout every backend runs at full speed: tfjs-wasm falls back to a scalar loop
 * (5-10x slower) for batched or transposed matMuls, which the usual `[N * heads, L, d]` batched
 * formulation needs. `q` must already be scaled by `1 / sqrt(d)`. Call inside `tf.tidy`.
 * @returns `[N, L, heads * d]`.
 */
export function multiHeadAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [n, l, inner] = q.shape;
  const s = k.shape[1];
  const d = inner / heads;
  const blocks = n * heads;
  if (blocks === 1) {
    const qq = tf.reshape(q, [l, d]);
    const kt = tf.transpose(tf.reshape(k, [s, d]));
    return tf.reshape(tf.matMul(tf.softmax(tf.matMul(qq, kt)), tf.reshape(v, [s, d])), [1, l, inner]);
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
}

/**
 * Runs a core `Attention` module (diffusers' `Attention` with its default processor: optional
 * `group_norm`, q/k/v projections, softmax attention, `to_out`, optional residual and
 * rescale) with {@link multiHeadAttention} for the products. Same parameters, same result as
 * `attn.forward` up to float rounding (the score scale is applied to `q`, not to the scores).
 * @param hidden Queries `[N, L, query_dim]` or NHWC `[N, H, W, query_dim]` (positions row-major).
 * @param context `[N, S, cross_attention_dim]`; omitted for self-attention.
 * @returns Same rank as `hidden`, last dimension `out_dim`; a new tensor.
 */
export function runAttention(attn: Attention, hidden: tf.Tensor, context?: tf.Tensor3D): tf.Tensor {
  return tf.tidy(() => {
    const shape = hidden.shape;
    const n = shape[0]!;
    let h: tf.Tensor = hidden.rank === 4 ? tf.reshape(hidden, [n, -1, attn.query_dim]) : hidden;
    if (attn.group_norm !== null) h = attn.group_norm.forward(h);
    let ctx: tf.Tensor = h;
    if (context !== undefined) ctx = attn.norm_cross !== null ? attn.norm_cross.forward(context) : context;
    const q = tf.mul(attn.to_q.forward(h), attn.scale) as tf.Tensor3D;
    const k = attn.to_k.forward(ctx) as tf.Tensor3D;
    const v = attn.to_v.forward(ctx) as tf.Tensor3D;
    const outProj = attn.to_out[0] as Linear;
    const outDropout = attn.to_out[1] as Dropout;
    let out = outDropout.forward(outProj.forward(multiHeadAttention(q, k, v, attn.heads)));
    if (hidden.rank === 4) out = tf.reshape(out, [n, shape[1]!, shape[2]!, attn.out_dim]);
    if (attn.residual_connection) out = tf.add(out, hidden);
    if (attn.rescale_output_factor !== 1) out = tf.div(out, attn.rescale_output_factor);
    return out;
  });
}
