import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { UNetMidBlock2D } from '@yonos/core/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL } from '../src/index.js';
import { DownEncoderBlock2D, UpDecoderBlock2D } from '../src/modules.js';

const CONFIG = {
  block_out_channels: [8, 16, 24],
  down_block_types: Array(3).fill('DownEncoderBlock2D'),
  up_block_types: Array(3).fill('UpDecoderBlock2D'),
  layers_per_block: 2,
  norm_num_groups: 4,
};

describe('VAE block structure (diffusers 0.25 rules)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  const vae = AutoencoderKL.fromConfig(CONFIG);

  it('encoder: layers_per_block resnets per level, stride-2 padding-0 downsampling except on the last level', () => {
    const blocks = [...vae.encoder.down_blocks];
    expect(blocks.map((b) => b.resnets.length)).toEqual([2, 2, 2]);
    expect(blocks.map((b) => b.downsamplers.length)).toEqual([1, 1, 0]);
    expect(blocks.map((b) => [b.resnets[0]!.in_channels, b.resnets[0]!.out_channels])).toEqual([
      [8, 8],
      [8, 16],
      [16, 24],
    ]);
    expect(blocks[0]!.downsamplers[0]!.padding).toBe(0);
    expect(vae.encoder.conv_out.out_channels).toBe(8); // 2 x latent channels
  });

  it('decoder: reversed levels with layers_per_block + 1 resnets and nearest x2 + conv except on the last', () => {
    const blocks = [...vae.decoder.up_blocks];
    expect(blocks.map((b) => b.resnets.length)).toEqual([3, 3, 3]);
    expect(blocks.map((b) => b.upsamplers.length)).toEqual([1, 1, 0]);
    expect(blocks.map((b) => [b.resnets[0]!.in_channels, b.resnets[0]!.out_channels])).toEqual([
      [24, 24],
      [24, 16],
      [16, 8],
    ]);
    expect(vae.decoder.conv_norm_out.num_channels).toBe(8);
  });

  it('mid blocks: one single-head self-attention with its own group_norm (eps 1e-6), residual, biased projections', () => {
    for (const mid of [vae.encoder.mid_block, vae.decoder.mid_block]) {
      expect(mid.resnets.length).toBe(2);
      const attention = mid.attentions[0]!;
      expect(attention.heads).toBe(1);
      expect(attention.inner_dim).toBe(24);
      expect(attention.scale).toBeCloseTo(24 ** -0.5, 12);
      expect(attention.residual_connection).toBe(true);
      expect(attention.group_norm?.num_groups).toBe(4);
      expect(attention.group_norm?.eps).toBe(1e-6);
      expect(attention.to_q.bias).not.toBeNull();
      expect(mid.resnets[0]!.norm1.eps).toBe(1e-6);
      expect(mid.resnets[0]!.time_emb_proj).toBeNull();
    }
  });

  it('each block is leak-free and keeps shapes as documented', async () => {
    const rng = createRng(1);
    const down = new DownEncoderBlock2D({ in_channels: 4, out_channels: 8, num_layers: 2, add_downsample: true, downsample_padding: 0, resnet_groups: 4, resnet_act_fn: 'silu' }).initialize(rng);
    const up = new UpDecoderBlock2D({ in_channels: 8, out_channels: 4, num_layers: 3, add_upsample: true, resnet_groups: 4, resnet_act_fn: 'silu' }).initialize(rng);
    const mid = new UNetMidBlock2D({ in_channels: 8, temb_channels: null, resnet_groups: 4, resnet_act_fn: 'silu', attention_head_dim: 4 }).initialize(rng);
    const x = tf.randomNormal([1, 7, 6, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const d = down.forward(x);
    expect(d.shape).toEqual([1, 3, 3, 8]);
    const m = mid.forward(d);
    expect(m.shape).toEqual([1, 3, 3, 8]);
    expect(mid.attentions[0]!.heads).toBe(2);
    const u = up.forward(m);
    expect(u.shape).toEqual([1, 6, 6, 4]);
    tf.dispose([d, m, u]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    for (const b of [down, up, mid]) b.dispose();
  });
});
