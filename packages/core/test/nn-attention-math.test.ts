// multiHeadAttention (per-head rank-2 matMuls) against a float64 host reference, and the
// Attention module built on it against the usual batched `[N * heads, L, d]` formulation
// (transposed batched matMul), values and gradients.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { Attention, NnArgumentError, multiHeadAttention } from '../src/nn/index.js';
import type { AttentionOptions, Dropout, Linear } from '../src/nn/index.js';
import { createRng } from '../src/random/index.js';
import { attentionHost, host, relError } from './nn-host.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const randn = (seed: number, shape: number[]): tf.Tensor => createRng(seed).normal(shape);

/**
 * diffusers' AttnProcessor as written in PyTorch: heads moved into the batch
 * (`head_to_batch_dim`), one batched `q kᵀ` with a transposed operand, scale on the scores.
 */
function batchedAttention(attn: Attention, hidden: tf.Tensor, context?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shape = hidden.shape;
    const n = shape[0]!;
    const heads = attn.heads;
    let h = hidden.rank === 4 ? tf.reshape(hidden, [n, -1, attn.query_dim]) : hidden;
    if (attn.group_norm !== null) h = attn.group_norm.forward(h);
    let ctx = h;
    if (context !== undefined) ctx = attn.norm_cross !== null ? attn.norm_cross.forward(context) : context;
    const toBatch = (x: tf.Tensor): tf.Tensor3D => {
      const [b, l, c] = x.shape as [number, number, number];
      return tf.reshape(tf.transpose(tf.reshape(x, [b, l, heads, c / heads]), [0, 2, 1, 3]), [b * heads, l, c / heads]);
    };
    const q = toBatch(attn.to_q.forward(h));
    const k = toBatch(attn.to_k.forward(ctx));
    const v = toBatch(attn.to_v.forward(ctx));
    const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), attn.scale), -1);
    const o = tf.matMul(probs, v);
    const [, l, d] = o.shape as [number, number, number];
    let out: tf.Tensor = tf.reshape(tf.transpose(tf.reshape(o, [n, heads, l, d]), [0, 2, 1, 3]), [n, l, heads * d]);
    out = (attn.to_out[1] as Dropout).forward((attn.to_out[0] as Linear).forward(out));
    if (hidden.rank === 4) out = tf.reshape(out, [n, shape[1]!, shape[2]!, attn.out_dim]);
    if (attn.residual_connection) out = tf.add(out, hidden);
    if (attn.rescale_output_factor !== 1) out = tf.div(out, attn.rescale_output_factor);
    return out;
  });
}

describe('multiHeadAttention', () => {
  test.each([
    ['one sample, one head (the single-block path)', 1, 1, 7, 5, 6],
    ['batch 2, 3 heads, self-attention lengths', 2, 3, 6, 6, 4],
    ['batch 3, 4 heads, context longer than the queries', 3, 4, 5, 9, 2],
    ['one sample, 2 heads, a single key', 1, 2, 4, 1, 3],
  ] as const)('%s equals softmax(q kᵀ) v per head in float64', async (_label, n, heads, l, s, d) => {
    const q = randn(1, [n, l, heads * d]) as tf.Tensor3D;
    const k = randn(2, [n, s, heads * d]) as tf.Tensor3D;
    const v = randn(3, [n, s, heads * d]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const out = multiHeadAttention(q, k, v, heads);
    expect(tf.memory().numTensors - before).toBe(1);
    expect(out.shape).toEqual([n, l, heads * d]);
    const hostOf = async (t: tf.Tensor) => host(t.shape, await t.data());
    const expected = attentionHost(await hostOf(q), await hostOf(k), await hostOf(v), heads, 1);
    // float32 against float64: agreement to ~1e-7; a wrong head layout errs by > 1e-1.
    expect(relError(await out.data(), expected.data)).toBeLessThan(1e-5);
    tf.dispose([q, k, v, out]);
  });

  test('rejects ranks, head counts and k/v shapes that do not fit, allocating nothing', () => {
    const q = tf.zeros([1, 4, 6]) as tf.Tensor3D;
    const k = tf.zeros([1, 3, 6]) as tf.Tensor3D;
    const flat = tf.zeros([4, 6]) as unknown as tf.Tensor3D;
    const narrow = tf.zeros([1, 3, 4]) as tf.Tensor3D;
    const otherBatch = tf.zeros([2, 3, 6]) as tf.Tensor3D;
    const otherLength = tf.zeros([1, 5, 6]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    expect(() => multiHeadAttention(flat, k, k, 2)).toThrow(NnArgumentError);
    expect(() => multiHeadAttention(q, k, k, 4)).toThrow(/heads must be a positive integer dividing the channels of q \(6\)/);
    expect(() => multiHeadAttention(q, k, k, 0)).toThrow(NnArgumentError);
    expect(() => multiHeadAttention(q, narrow, narrow, 2)).toThrow(/k and v must both be \[1, S, 6\]/);
    expect(() => multiHeadAttention(q, otherBatch, otherBatch, 2)).toThrow(NnArgumentError);
    expect(() => multiHeadAttention(q, k, otherLength, 2)).toThrow(NnArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, flat, narrow, otherBatch, otherLength]);
  });
});

describe('Attention.forward equals the batched formulation', () => {
  test.each([
    ['self-attention on NHWC, group norm, residual, rescale, 2 heads, batch 2', { query_dim: 16, heads: 2, dim_head: 8, norm_num_groups: 4, residual_connection: true, bias: true, rescale_output_factor: 2 }, [2, 4, 5, 16], null],
    ['cross-attention, 4 heads, batch 2', { query_dim: 32, cross_attention_dim: 12, heads: 4, dim_head: 8 }, [2, 10, 32], [2, 7, 12]],
    ['cross-attention, 1 head, batch 1', { query_dim: 8, cross_attention_dim: 6, heads: 1, dim_head: 8 }, [1, 9, 8], [1, 3, 6]],
    ['self-attention, heads * dim_head != query_dim', { query_dim: 12, heads: 3, dim_head: 5 }, [1, 6, 12], null],
  ] as const)('%s', async (_label, options: AttentionOptions, shape, contextShape) => {
    const attn = new Attention(options).initialize(createRng(1));
    const x = randn(2, [...shape]);
    const ctx = contextShape === null ? undefined : (randn(3, [...contextShape]) as tf.Tensor3D);
    const before = tf.memory().numTensors;
    const ours = attn.forward(x, ctx);
    expect(tf.memory().numTensors - before).toBe(1);
    const reference = batchedAttention(attn, x, ctx);
    expect(ours.shape).toEqual(reference.shape);
    expect(relError(await ours.data(), await reference.data())).toBeLessThan(1e-6);
    tf.dispose([x, ours, reference, ...(ctx === undefined ? [] : [ctx])]);
    attn.dispose();
  });

  test('gradients match too', async () => {
    const attn = new Attention({ query_dim: 16, cross_attention_dim: 8, heads: 4, dim_head: 4 }).initialize(createRng(4));
    const x = randn(5, [2, 6, 16]);
    const ctx = randn(6, [2, 3, 8]) as tf.Tensor3D;
    const vars = attn.trainableVariables();
    const g1 = tf.variableGrads(() => tf.sum(tf.square(attn.forward(x, ctx))) as tf.Scalar, vars);
    const g2 = tf.variableGrads(() => tf.sum(tf.square(batchedAttention(attn, x, ctx))) as tf.Scalar, vars);
    for (const v of vars) {
      expect(relError(await g1.grads[v.name]!.data(), await g2.grads[v.name]!.data()), v.name).toBeLessThan(1e-5);
    }
    tf.dispose([x, ctx, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    attn.dispose();
  });
});
