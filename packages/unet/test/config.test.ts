import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Attention, UNetMidBlock2D } from '@yonos/core/nn';
import { useBackend } from '@yonos/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, UNet2DModel, UnetConfigError, parseUNet2DConditionConfig, parseUNet2DConfig } from '../src/index.js';
import type { CrossAttnDownBlock2D, CrossAttnUpBlock2D, Transformer2DModel } from '../src/modules.js';
import { FIXTURES } from './helpers/fixtures.js';

const BOOKKEEPING = ['_class_name', '_diffusers_version'];

function fixtureConfig(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;
}

const tinyCond = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...fixtureConfig('unet-sd1-tiny'),
  ...extra,
});

beforeAll(async () => {
  await useBackend('cpu');
});

describe('config defaults and round trip', () => {
  test.each([
    ['unet-sd2-tiny', parseUNet2DConditionConfig],
    ['unet-sd1-tiny', parseUNet2DConditionConfig],
    ['unet2d-tiny', parseUNet2DConfig],
  ] as const)('%s: an empty config has exactly the keys diffusers 0.25 writes', (name, parse) => {
    const written = Object.keys(fixtureConfig(name)).filter((k) => !BOOKKEEPING.includes(k));
    expect(Object.keys(parse({})).sort()).toEqual(written.sort());
  });

  test('a fixture config parses to itself; unknown and bookkeeping keys are kept', () => {
    const raw = { ...fixtureConfig('unet-sd2-tiny'), some_future_key: [1, 2] };
    const parsed = parseUNet2DConditionConfig(raw);
    expect(parsed).toEqual(raw);
  });

  test('missing keys take diffusers defaults', () => {
    const c = parseUNet2DConditionConfig({ in_channels: 8 });
    expect(c.block_out_channels).toEqual([320, 640, 1280, 1280]);
    expect(c.cross_attention_dim).toBe(1280);
    expect(c.attention_head_dim).toBe(8);
    expect(c.flip_sin_to_cos).toBe(true);
    expect(c.norm_num_groups).toBe(32);
    const u = parseUNet2DConfig({});
    expect(u.block_out_channels).toEqual([224, 448, 672, 896]);
    expect(u.down_block_types).toEqual(['DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D']);
  });

  test('building is shape-only: no tensor is allocated', () => {
    const before = tf.memory().numTensors;
    const model = UNet2DConditionModel.fromConfig(tinyCond());
    expect(model.isInitialized()).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('invalid and unsupported configs fail with UnetConfigError', () => {
  test('one error lists every mistyped key', () => {
    const err = (() => {
      try {
        parseUNet2DConditionConfig({ block_out_channels: [32, 'x'], layers_per_block: -1, use_linear_projection: 'yes' });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnetConfigError);
    expect(err!.message).toMatch(/block_out_channels\.1/);
    expect(err!.message).toMatch(/layers_per_block/);
    expect(err!.message).toMatch(/use_linear_projection/);
  });

  test.each([
    ['class_embed_type', 'learned'],
    ['addition_embed_type', 'text_time'],
    ['encoder_hid_dim', 768],
    ['dual_cross_attention', true],
    ['time_embedding_type', 'fourier'],
    ['attention_type', 'gated'],
    ['mid_block_type', 'UNetMidBlock2DSimpleCrossAttn'],
    ['resnet_time_scale_shift', 'spatial'],
    ['norm_num_groups', null],
  ])('UNet2DConditionModel rejects %s = %j', (key, value) => {
    expect(() => UNet2DConditionModel.fromConfig(tinyCond({ [key]: value }))).toThrow(new RegExp(`${key}.*not supported`));
    expect(() => UNet2DConditionModel.fromConfig(tinyCond({ [key]: value }))).toThrow(UnetConfigError);
  });

  test('unknown block types are named', () => {
    expect(() => UNet2DConditionModel.fromConfig(tinyCond({ down_block_types: ['SimpleCrossAttnDownBlock2D', 'DownBlock2D'] }))).toThrow(
      /down_block_types\[0\].*SimpleCrossAttnDownBlock2D/,
    );
    expect(() => UNet2DModel.fromConfig({ down_block_types: ['CrossAttnDownBlock2D', 'DownBlock2D', 'DownBlock2D', 'DownBlock2D'] })).toThrow(
      /UNet2DConditionModel/,
    );
  });

  test.each([
    [{ up_block_types: ['UpBlock2D'] }, /up_block_types/],
    [{ block_out_channels: [32, 64, 64] }, /block_out_channels/],
    [{ attention_head_dim: [2, 4, 4] }, /attention_head_dim has 3 entries/],
    [{ layers_per_block: [1, 1, 1] }, /layers_per_block has 3 entries/],
    [{ norm_num_groups: 6 }, /norm_num_groups \(6\) must divide/],
    [{ cross_attention_dim: [16, 32] }, /one context feeds every level/],
    [{ transformer_layers_per_block: [[1], [1]] }, /reverse_transformer_layers_per_block/],
  ])('inconsistent config %j', (extra, pattern) => {
    expect(() => UNet2DConditionModel.fromConfig(tinyCond(extra))).toThrow(pattern);
  });

  test('UNet2DModel rejects what it cannot build', () => {
    expect(() => UNet2DModel.fromConfig({ time_embedding_type: 'fourier' })).toThrow(UnetConfigError);
    expect(() => UNet2DModel.fromConfig({ class_embed_type: 'timestep' })).toThrow(/class_embed_type/);
    expect(() => UNet2DModel.fromConfig({ downsample_type: 'fir' })).toThrow(/downsample_type/);
  });
});

describe('diffusers semantics of the config', () => {
  test('attention_head_dim is the number of heads of cross-attention levels (the naming quirk)', () => {
    const model = UNet2DConditionModel.fromConfig(fixtureConfig('unet-sd2-tiny')); // attention_head_dim [2, 4, 4]
    const down0 = model.down_blocks[0] as CrossAttnDownBlock2D;
    const attn = down0.attentions[0]!.transformer_blocks[0]!.attn1;
    expect(attn.heads).toBe(2);
    expect(attn.inner_dim).toBe(32);
    const up1 = model.up_blocks[1] as CrossAttnUpBlock2D; // second up level mirrors down level 1 (4 heads)
    expect(up1.attentions[0]!.transformer_blocks[0]!.attn1.heads).toBe(4);
  });

  test('num_attention_heads is folded into attention_head_dim so diffusers can read the saved config', () => {
    const model = UNet2DConditionModel.fromConfig(tinyCond({ num_attention_heads: [2, 4] }));
    expect(model.config.attention_head_dim).toEqual([2, 4]);
    expect(model.config.num_attention_heads).toBeNull();
    const down0 = model.down_blocks[0] as CrossAttnDownBlock2D;
    expect(down0.attentions[0]!.transformer_blocks[0]!.attn1.heads).toBe(2);
    expect(() =>
      UNet2DConditionModel.fromConfig(
        tinyCond({ num_attention_heads: 2, down_block_types: ['AttnDownBlock2D', 'DownBlock2D'] }),
      ),
    ).toThrow(/num_attention_heads cannot be combined/);
  });

  test('use_linear_projection picks Linear or 1x1 Conv2d projections', () => {
    const sd1 = UNet2DConditionModel.fromConfig(fixtureConfig('unet-sd1-tiny'));
    const sd2 = UNet2DConditionModel.fromConfig(fixtureConfig('unet-sd2-tiny'));
    const shapes1 = sd1.expectedShapes();
    const shapes2 = sd2.expectedShapes();
    expect(shapes1.get('down_blocks.0.attentions.0.proj_in.weight')).toEqual([32, 32, 1, 1]);
    expect(shapes2.get('down_blocks.0.attentions.0.proj_in.weight')).toEqual([32, 32]);
  });

  test('transformer_layers_per_block per level and per layer (reversed for the up path)', () => {
    const model = UNet2DConditionModel.fromConfig(
      tinyCond({ transformer_layers_per_block: [[1], [2]], reverse_transformer_layers_per_block: [[3, 1], [1, 2]] }),
    );
    const mid = model.mid_block as unknown as { attentions: Iterable<Transformer2DModel> };
    expect([...mid.attentions][0]!.transformer_blocks.length).toBe(2);
    const up1 = model.up_blocks[1] as CrossAttnUpBlock2D;
    expect([...up1.attentions].map((a) => a.transformer_blocks.length)).toEqual([1, 2]);
    const byLevel = UNet2DConditionModel.fromConfig(tinyCond({ transformer_layers_per_block: [1, 3] }));
    const midDepth = [...(byLevel.mid_block as unknown as { attentions: Iterable<Transformer2DModel> }).attentions][0]!;
    expect(midDepth.transformer_blocks.length).toBe(3);
  });

  test('only_cross_attention makes attn1 attend to the context', () => {
    const model = UNet2DConditionModel.fromConfig(tinyCond({ only_cross_attention: [true, false] }));
    const shapes = model.expectedShapes();
    expect(shapes.get('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.weight')).toEqual([32, 16]);
    expect(shapes.get('up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight')).toEqual([32, 16]);
    expect(shapes.get('mid_block.attentions.0.transformer_blocks.0.attn1.to_k.weight')).toEqual([64, 64]);
  });

  test('UNet2DModel mid attention: no GroupNorm with scale_shift unless attn_norm_num_groups', () => {
    const base = fixtureConfig('unet2d-tiny');
    const shifted = UNet2DModel.fromConfig({ ...base, resnet_time_scale_shift: 'scale_shift' });
    const attn = [...(shifted.mid_block as UNetMidBlock2D).attentions][0] as Attention;
    expect(attn.group_norm).toBeNull();
    expect(shifted.expectedShapes().get('mid_block.resnets.0.time_emb_proj.weight')).toEqual([64, 64]);
    const grouped = UNet2DModel.fromConfig({ ...base, resnet_time_scale_shift: 'scale_shift', attn_norm_num_groups: 4 });
    expect([...(grouped.mid_block as UNetMidBlock2D).attentions][0]!.group_norm!.num_groups).toBe(4);
    const noAttn = UNet2DModel.fromConfig({ ...base, add_attention: false });
    expect([...noAttn.expectedShapes().keys()].some((k) => k.startsWith('mid_block.attentions'))).toBe(false);
  });

  test('UNet2DModel resnet resamplers', () => {
    const model = UNet2DModel.fromConfig({ ...fixtureConfig('unet2d-tiny'), downsample_type: 'resnet', upsample_type: 'resnet' });
    const shapes = model.expectedShapes();
    expect(shapes.get('down_blocks.1.downsamplers.0.conv1.weight')).toEqual([32, 32, 3, 3]);
    expect(shapes.get('up_blocks.1.upsamplers.0.conv2.weight')).toEqual([32, 32, 3, 3]);
    expect(shapes.has('down_blocks.0.downsamplers.0.conv.weight')).toBe(true); // DownBlock2D always convolves
  });
});
