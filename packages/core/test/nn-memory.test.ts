import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Attention,
  Conv2d,
  Downsample2D,
  GroupNorm,
  LayerNorm,
  Linear,
  MemoryTally,
  ResnetBlock2D,
  UNetMidBlock2D,
  Upsample2D,
  activationMemory,
  attentionMemory,
  conv2dMemory,
  conv2dOutputSize,
  downsample2DMemory,
  getActivation,
  groupNormMemory,
  layerNormMemory,
  linearMemory,
  resnetBlock2DMemory,
  unetMidBlock2DMemory,
  upsample2DMemory,
} from '../src/nn/index.js';
import type { ActivationName, MemoryCost } from '../src/nn/index.js';
import { trackPeakBytes, useBackend } from '../src/backend/index.js';
import { createRng } from '../src/random/index.js';
import { midBlockStepsInOneTidy } from './helpers/mid-block-steps.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** How far `tf.memory().numBytes` rose above its start during `fn`, and where it ended. */
function measure(fn: () => tf.Tensor): { peak: number; held: number } {
  const { result, peak, held } = trackPeakBytes(fn);
  result.dispose();
  return { peak, held };
}

/** The estimate bounds the measured peak from above, by at most `slack`, and holds exactly the output. */
function expectBound(name: string, estimate: MemoryCost, fn: () => tf.Tensor, slack = 1.05): void {
  const m = measure(fn);
  expect(estimate.peak, `${name}: peak ${estimate.peak} vs measured ${m.peak}`).toBeGreaterThanOrEqual(m.peak);
  expect(estimate.peak, `${name}: peak ${estimate.peak} vs measured ${m.peak}`).toBeLessThanOrEqual(slack * m.peak);
  expect(estimate.held, name).toBe(m.held);
}

const rng = createRng(3);
const H = 12;
const W = 20;
const P = H * W;
const map = (c: number): tf.Tensor4D => tf.randomNormal([1, H, W, c], 0, 1, 'float32', 1) as tf.Tensor4D;

describe('MemoryTally', () => {
  it('adds steps on top of what is held, frees, and keeps only what a scope returns', () => {
    const t = new MemoryTally();
    const a = t.alloc(100);
    t.add({ peak: 300, held: 50, retained: 7 }); // peaks at 400 with a held
    t.free(a);
    t.add({ peak: 20, held: 20, retained: 3 });
    expect(t.held).toBe(70);
    expect(t.peak).toBe(400);
    expect(t.retained).toBe(10);
    expect(t.result(20)).toEqual({ peak: 400, held: 20, retained: 10 });
    expect(new MemoryTally().result(5)).toEqual({ peak: 5, held: 5, retained: 0 });
  });
});

describe('layer memory estimates (tf.memory().numBytes)', () => {
  it('bound Conv2d, Linear, the norms and the activations from above, and hold their outputs', () => {
    const x = map(8);
    const tokens = tf.randomNormal([1, P, 8]) as tf.Tensor3D;
    const conv = new Conv2d(8, 16, 3, { padding: 1 }).initialize(rng);
    const plain = new Conv2d(8, 16, 3, { padding: 1, bias: false }).initialize(rng);
    const strided = new Conv2d(8, 16, 3, { padding: 1, stride: 2 }).initialize(rng);
    const [sh, sw] = conv2dOutputSize(strided, H, W);
    expect([sh, sw]).toEqual([6, 10]);
    expectBound('conv', conv2dMemory(conv, P), () => conv.forward(x), 1);
    expectBound('conv without bias', conv2dMemory(plain, P), () => plain.forward(x), 1);
    expectBound('strided conv', conv2dMemory(strided, sh * sw), () => strided.forward(x), 1);
    const norm = new GroupNorm(4, 8).initialize(rng);
    expectBound('group norm', groupNormMemory(norm, P), () => norm.forward(x));
    const ln = new LayerNorm(8).initialize(rng);
    expectBound('layer norm', layerNormMemory(ln, P), () => ln.forward(tokens), 1.1);
    const linear = new Linear(8, 12).initialize(rng);
    expectBound('linear on tokens', linearMemory(linear, P, true), () => linear.forward(tokens), 1);
    for (const name of ['relu', 'silu', 'swish', 'gelu', 'mish'] as ActivationName[]) {
      expectBound(name, activationMemory(name, 8 * P), () => getActivation(name)(x), 1);
    }
    tf.dispose([x, tokens]);
    for (const m of [conv, plain, strided, norm, ln, linear]) m.dispose();
  });

  it('keeps GroupNorm at 4 copies of its input (the means are taken in their own scopes)', () => {
    const x = map(16);
    const norm = new GroupNorm(4, 16).initialize(rng);
    const { peak } = measure(() => norm.forward(x));
    expect(peak).toBeLessThanOrEqual(4 * x.size * 4 + 32 * 16 * 4);
    tf.dispose([x]);
    norm.dispose();
  });

  it('bound ResnetBlock2D (time embedding or not, scale-shift, shortcut, up and down) from above', () => {
    const temb = tf.randomNormal([1, 12]) as tf.Tensor2D;
    const cases: Array<[string, ConstructorParameters<typeof ResnetBlock2D>[0], boolean]> = [
      ['plain', { in_channels: 16, out_channels: 16, temb_channels: null, groups: 4 }, false],
      ['temb, shortcut', { in_channels: 16, out_channels: 32, temb_channels: 12, groups: 4 }, true],
      ['gelu scale-shift', { in_channels: 32, out_channels: 16, temb_channels: 12, groups: 4, non_linearity: 'gelu', time_embedding_norm: 'scale_shift' }, true],
      ['relu', { in_channels: 16, out_channels: 16, temb_channels: 12, groups: 4, non_linearity: 'relu' }, true],
      ['up', { in_channels: 16, out_channels: 16, temb_channels: 12, groups: 4, up: true }, true],
      ['down', { in_channels: 16, out_channels: 16, temb_channels: 12, groups: 4, down: true }, true],
    ];
    for (const [name, options, withTemb] of cases) {
      const block = new ResnetBlock2D(options).initialize(rng);
      const x = map(options.in_channels);
      expectBound(`resnet ${name}`, resnetBlock2DMemory(block, P, withTemb), () => block.forward(x, withTemb ? temb : null), 1.1);
      expect(block.non_linearity).toBe(options.non_linearity ?? 'swish');
      x.dispose();
      block.dispose();
    }
    temb.dispose();
  });

  it('bound Attention (one head and several, spatial with group norm, cross-attention) and the resamplers from above', () => {
    const cases: Array<[string, ConstructorParameters<typeof Attention>[0], boolean, number]> = [
      ['one head, spatial', { query_dim: 16, heads: 1, dim_head: 16, norm_num_groups: 4, residual_connection: true, bias: true }, true, 0],
      ['two heads, spatial', { query_dim: 16, heads: 2, dim_head: 8, norm_num_groups: 4, residual_connection: true, bias: true }, true, 0],
      ['four heads, tokens', { query_dim: 16, heads: 4, dim_head: 8 }, false, 0],
      ['cross-attention', { query_dim: 16, heads: 4, dim_head: 8, cross_attention_dim: 24 }, false, 7],
    ];
    for (const [name, options, spatial, contextLength] of cases) {
      const attention = new Attention(options).initialize(rng);
      const x = spatial ? map(16) : (tf.randomNormal([1, P, 16]) as tf.Tensor3D);
      const context = contextLength > 0 ? (tf.randomNormal([1, contextLength, 24]) as tf.Tensor3D) : undefined;
      const estimate = attentionMemory(attention, P, contextLength || P, spatial, contextLength > 0);
      expectBound(`attention ${name}`, estimate, () => attention.forward(x, context), 1);
      tf.dispose([x, ...(context !== undefined ? [context] : [])]);
      attention.dispose();
    }
    const x = map(16);
    const up = new Upsample2D(16, { use_conv: true, out_channels: 8 }).initialize(rng);
    expectBound('upsample', upsample2DMemory(up, 4 * P), () => up.forward(x), 1);
    const down = new Downsample2D(16, { use_conv: true, out_channels: 16, padding: 1 }).initialize(rng);
    expectBound('downsample', downsample2DMemory(down, P / 4), () => down.forward(x), 1);
    const pool = new Downsample2D(16);
    expectBound('average pooling', downsample2DMemory(pool, P / 4), () => pool.forward(x), 1);
    x.dispose();
    up.dispose();
    down.dispose();
  });
});

describe('UNetMidBlock2D memory estimate', () => {
  it('bounds the forward (VAE and U-Net builds) from above; the forward frees intermediates a tidy would keep', () => {
    const temb = tf.randomNormal([1, 12]) as tf.Tensor2D;
    // Whether freeing eagerly lowers the peak: not where the attention's scores dominate.
    const cases: Array<[string, ConstructorParameters<typeof UNetMidBlock2D>[0], boolean]> = [
      ['VAE', { in_channels: 16, temb_channels: null, resnet_groups: 4, attention_head_dim: 16 }, false],
      ['U-Net, 2 layers, 2 heads', { in_channels: 16, temb_channels: 12, resnet_groups: 4, attention_head_dim: 8, num_layers: 2 }, true],
      ['U-Net, 3 resnets, no attention', { in_channels: 16, temb_channels: 12, resnet_groups: 4, add_attention: false, num_layers: 2 }, true],
    ];
    for (const [name, options, saves] of cases) {
      const block = new UNetMidBlock2D(options).initialize(rng);
      const x = map(16);
      const t = options.temb_channels === null ? null : temb;
      const estimate = unetMidBlock2DMemory(block, P, t !== null);
      expectBound(`mid block ${name}`, estimate, () => block.forward(x, t), 1.1);
      // Control: the same steps in one tidy keep every intermediate, which the estimate does not allow for.
      const tidied = measure(() => midBlockStepsInOneTidy(block, x, t));
      const eager = measure(() => block.forward(x, t)).peak;
      if (saves) expect(tidied.peak, name).toBeGreaterThan(eager);
      else expect(tidied.peak, name).toBe(eager);
      x.dispose();
      block.dispose();
    }
    temb.dispose();
  });
});

describe('retained memory (XNNPACK on wasm)', () => {
  it('counts an indirection buffer of 4 * kh * kw bytes per output pixel for every conv but a plain 1x1', () => {
    expect(conv2dMemory(new Conv2d(8, 8, 3, { padding: 1 }), 1000).retained).toBe(36_000);
    expect(conv2dMemory(new Conv2d(8, 8, 3, { padding: 1, stride: 2 }), 250).retained).toBe(9_000);
    expect(conv2dMemory(new Conv2d(8, 8, 1), 1000).retained).toBe(0);
    expect(conv2dMemory(new Conv2d(8, 8, 1, { padding: 1 }), 1000).retained).toBe(4_000);
    expect(conv2dMemory(new Conv2d(8, 8, [1, 3], { padding: [[0, 0], [1, 1]] }), 10).retained).toBe(120);
    const block = new ResnetBlock2D({ in_channels: 8, out_channels: 16, temb_channels: null, groups: 4 });
    expect(resnetBlock2DMemory(block, 100, false).retained).toBe(2 * 36 * 100); // conv1, conv2 (the 1x1 shortcut retains nothing)
  });
});
