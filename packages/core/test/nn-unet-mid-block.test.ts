// UNetMidBlock2D: the one mid block of the VAE and the U-Nets. Names and order as diffusers,
// the forward equal bit for bit to its steps run in one tidy (values and gradients), and the
// options' diffusers defaults.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NnArgumentError, UNetMidBlock2D } from '../src/nn/index.js';
import type { UNetMidBlock2DOptions } from '../src/nn/index.js';
import { useBackend } from '../src/backend/index.js';
import { createRng } from '../src/random/index.js';
import { readSafetensors } from '../src/safetensors/index.js';
import { midBlockStepsInOneTidy } from './helpers/mid-block-steps.js';

const UNET2D_TINY = fileURLToPath(new URL('../../../fixtures/diffusers/unet2d-tiny/', import.meta.url));

beforeAll(async () => {
  await useBackend('cpu');
});

describe('UNetMidBlock2D', () => {
  it("loads unet2d-tiny's mid_block strictly: diffusers names and shapes (attention heads of 8 channels, time embedding)", () => {
    const { tensors } = readSafetensors(readFileSync(`${UNET2D_TINY}diffusion_pytorch_model.safetensors`));
    const mid = new Map<string, tf.Tensor>();
    for (const [name, t] of tensors) {
      if (name.startsWith('mid_block.')) mid.set(name.slice('mid_block.'.length), t);
      else t.dispose();
    }
    const block = new UNetMidBlock2D({ in_channels: 32, temb_channels: 64, resnet_eps: 1e-5, resnet_groups: 8, attention_head_dim: 8 });
    expect(() => block.loadStateDict(mid)).not.toThrow();
    expect(block.attentions[0]!.heads).toBe(4);
    // PyTorch's order: diffusers registers the attentions before the resnets.
    const names = [...block.expectedShapes().keys()];
    expect(names[0]).toMatch(/^attentions\.0\./);
    const firstResnet = names.findIndex((n) => n.startsWith('resnets.'));
    expect(names.slice(0, firstResnet).every((n) => n.startsWith('attentions.'))).toBe(true);
    expect(names.slice(firstResnet).every((n) => n.startsWith('resnets.'))).toBe(true);
    block.dispose();
    tf.dispose([...mid.values()]);
  });

  it('forward equals its steps in one tidy bit for bit, values and gradients, and leaks nothing', () => {
    const temb = tf.randomNormal([2, 12], 0, 1, 'float32', 2) as tf.Tensor2D;
    const cases: Array<[string, UNetMidBlock2DOptions]> = [
      ['VAE', { in_channels: 16, temb_channels: null, resnet_groups: 4, attention_head_dim: 16 }],
      [
        'U-Net, 2 layers, 2 heads, scale-shift, output scale',
        { in_channels: 16, temb_channels: 12, resnet_groups: 4, attention_head_dim: 8, num_layers: 2, resnet_time_scale_shift: 'scale_shift', attn_groups: 2, output_scale_factor: 2, resnet_act_fn: 'gelu' },
      ],
      ['U-Net, no pairs', { in_channels: 16, temb_channels: 12, resnet_groups: 4, num_layers: 0, add_attention: false }],
    ];
    for (const [name, options] of cases) {
      const block = new UNetMidBlock2D(options).initialize(createRng(5));
      const x = tf.randomNormal([2, 5, 7, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
      const t = options.temb_channels === null ? null : temb;
      const before = tf.memory().numTensors;
      const y = block.forward(x, t);
      const reference = midBlockStepsInOneTidy(block, x, t);
      expect(y.shape, name).toEqual([2, 5, 7, 16]);
      expect(Array.from(y.dataSync()), name).toEqual(Array.from(reference.dataSync()));
      tf.dispose([y, reference]);
      expect(tf.memory().numTensors, name).toBe(before);

      // The eager frees keep the gradient tape whole: the same gradients for the input and every weight.
      const loss = (f: () => tf.Tensor4D) => (): tf.Scalar => tf.sum(tf.square(f()));
      const variables = block.trainableVariables();
      const got = tf.variableGrads(loss(() => block.forward(x, t)), variables);
      const want = tf.variableGrads(loss(() => midBlockStepsInOneTidy(block, x, t)), variables);
      expect(Object.keys(want.grads).length, name).toBe(variables.length);
      expect(Object.keys(got.grads).sort(), name).toEqual(Object.keys(want.grads).sort());
      for (const [key, g] of Object.entries(want.grads)) {
        expect(Array.from(got.grads[key]!.dataSync()), `${name} ${key}`).toEqual(Array.from(g.dataSync()));
      }
      const gx = tf.grad((input: tf.Tensor) => tf.sum(tf.square(block.forward(input as tf.Tensor4D, t))))(x);
      const gxRef = tf.grad((input: tf.Tensor) => tf.sum(tf.square(midBlockStepsInOneTidy(block, input as tf.Tensor4D, t))))(x);
      expect(Array.from(gx.dataSync()), name).toEqual(Array.from(gxRef.dataSync()));
      tf.dispose([got.value, want.value, ...Object.values(got.grads), ...Object.values(want.grads), gx, gxRef]);
      expect(tf.memory().numTensors, name).toBe(before);
      x.dispose();
      block.dispose();
    }
    temb.dispose();
  });

  it("takes diffusers' defaults: attention norm groups follow the time scale-shift, one channel per head, swish, eps 1e-6", () => {
    const plain = new UNetMidBlock2D({ in_channels: 8, temb_channels: 4, resnet_groups: 2 });
    expect(plain.attentions[0]!.group_norm!.num_groups).toBe(2);
    expect(plain.attentions[0]!.heads).toBe(8);
    expect(plain.resnets.length).toBe(2);
    expect(plain.resnets[0]!.non_linearity).toBe('swish');
    expect(plain.resnets[0]!.norm1.eps).toBe(1e-6);
    expect(plain.attentions[0]!.group_norm!.eps).toBe(1e-6);
    const shifted = new UNetMidBlock2D({ in_channels: 8, temb_channels: 4, resnet_groups: 2, resnet_time_scale_shift: 'scale_shift' });
    expect(shifted.attentions[0]!.group_norm).toBeNull();
    expect(shifted.resnets[0]!.time_embedding_norm).toBe('scale_shift');
    const grouped = new UNetMidBlock2D({ in_channels: 8, temb_channels: 4, resnet_groups: 2, resnet_time_scale_shift: 'scale_shift', attn_groups: 4 });
    expect(grouped.attentions[0]!.group_norm!.num_groups).toBe(4);
    const vae = new UNetMidBlock2D({ in_channels: 8, temb_channels: null, resnet_groups: 2 });
    expect(vae.resnets[0]!.time_emb_proj).toBeNull();
  });

  it('rejects an attention_head_dim larger than the channels with a typed error', () => {
    expect(() => new UNetMidBlock2D({ in_channels: 8, temb_channels: null, resnet_groups: 2, attention_head_dim: 16 })).toThrow(NnArgumentError);
    expect(() => new UNetMidBlock2D({ in_channels: 8, temb_channels: null, resnet_groups: 2, attention_head_dim: 16 })).toThrow(/at most 8/);
    expect(() => new UNetMidBlock2D({ in_channels: 8, temb_channels: null, resnet_groups: 2, attention_head_dim: 16, add_attention: false })).not.toThrow();
  });
});
