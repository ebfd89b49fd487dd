// The U-Net's attention compute (per-head rank-2 matMuls) against core's own Attention.forward,
// and the transformer's two projection layouts against each other.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Attention, createRng, useBackend } from '@yonos/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { Transformer2DModel, runAttention } from '../src/index.js';

beforeAll(async () => {
  await useBackend('cpu');
});

async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const num = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const den = tf.tidy(() => tf.max(tf.abs(b)));
  const r = (await num.data())[0]! / (await den.data())[0]!;
  tf.dispose([num, den]);
  return r;
}

const randn = (seed: number, shape: number[]): tf.Tensor => createRng(seed).normal(shape);

describe('runAttention equals core Attention.forward', () => {
  test.each([
    ['self-attention on NHWC, group norm, residual, rescale, 2 heads, batch 2', { query_dim: 16, heads: 2, dim_head: 8, norm_num_groups: 4, residual_connection: true, bias: true, rescale_output_factor: 2 }, [2, 4, 5, 16], null],
    ['cross-attention, 4 heads, batch 2', { query_dim: 32, cross_attention_dim: 12, heads: 4, dim_head: 8 }, [2, 10, 32], [2, 7, 12]],
    ['cross-attention, 1 head, batch 1', { query_dim: 8, cross_attention_dim: 6, heads: 1, dim_head: 8 }, [1, 9, 8], [1, 3, 6]],
    ['self-attention, heads * dim_head != query_dim', { query_dim: 12, heads: 3, dim_head: 5 }, [1, 6, 12], null],
  ] as const)('%s', async (_label, options, shape, contextShape) => {
    const attn = new Attention(options).initialize(createRng(1));
    const x = randn(2, [...shape]);
    const ctx = contextShape === null ? undefined : (randn(3, [...contextShape]) as tf.Tensor3D);
    const before = tf.memory().numTensors;
    const ours = runAttention(attn, x, ctx);
    expect(tf.memory().numTensors - before).toBe(1);
    const reference = attn.forward(x, ctx);
    expect(ours.shape).toEqual(reference.shape);
    expect(await relErr(ours, reference)).toBeLessThan(1e-6);
    tf.dispose([x, ours, reference, ...(ctx === undefined ? [] : [ctx])]);
    attn.dispose();
  });

  test('gradients match too', async () => {
    const attn = new Attention({ query_dim: 16, cross_attention_dim: 8, heads: 4, dim_head: 4 }).initialize(createRng(4));
    const x = randn(5, [2, 6, 16]);
    const ctx = randn(6, [2, 3, 8]) as tf.Tensor3D;
    const vars = attn.trainableVariables();
    const g1 = tf.variableGrads(() => tf.sum(tf.square(runAttention(attn, x, ctx))) as tf.Scalar, vars);
    const g2 = tf.variableGrads(() => tf.sum(tf.square(attn.forward(x, ctx))) as tf.Scalar, vars);
    for (const v of vars) expect(await relErr(g1.grads[v.name]!, g2.grads[v.name]!), v.name).toBeLessThan(1e-5);
    tf.dispose([x, ctx, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    attn.dispose();
  });
});

test('Transformer2DModel: linear and 1x1-conv projections compute the same thing', async () => {
  const options = { num_attention_heads: 2, attention_head_dim: 8, in_channels: 16, norm_num_groups: 4, cross_attention_dim: 6 };
  const conv = new Transformer2DModel(options).initialize(createRng(8));
  const linear = new Transformer2DModel({ ...options, use_linear_projection: true });
  // Same weights: the 1x1 conv kernels [out, in, 1, 1] are the linear weights [out, in].
  const dict = conv.stateDict();
  for (const key of ['proj_in.weight', 'proj_out.weight']) {
    const w = dict.get(key)!;
    dict.set(key, tf.reshape(w, w.shape.slice(0, 2)));
    w.dispose();
  }
  linear.loadStateDict(dict);
  tf.dispose([...dict.values()]);
  const x = randn(9, [2, 3, 4, 16]) as tf.Tensor4D;
  const ctx = randn(10, [2, 5, 6]) as tf.Tensor3D;
  const a = conv.forward(x, ctx);
  const b = linear.forward(x, ctx);
  expect(await relErr(a, b)).toBeLessThan(1e-5);
  tf.dispose([x, ctx, a, b]);
  conv.dispose();
  linear.dispose();
});
