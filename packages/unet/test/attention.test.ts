// The transformer's two projection layouts against each other. (The attention math itself is
// core's multiHeadAttention, tested in core's nn-attention-math.test.ts.)
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { beforeAll, expect, test } from 'vitest';
import { Transformer2DModel } from '../src/modules.js';
import { relativeError } from './helpers/fixtures.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const randn = (seed: number, shape: number[]): tf.Tensor => createRng(seed).normal(shape);

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
  expect(await relativeError(a, b)).toBeLessThan(1e-5);
  tf.dispose([x, ctx, a, b]);
  conv.dispose();
  linear.dispose();
});
