import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL, VaeConfigError, parseAutoencoderKLConfig } from '../src/index.js';
import { tinyConfig } from './helpers.js';

// The defaults of diffusers 0.25's AutoencoderKL.__init__ signature.
const DIFFUSERS_DEFAULTS = {
  in_channels: 3,
  out_channels: 3,
  down_block_types: ['DownEncoderBlock2D'],
  up_block_types: ['UpDecoderBlock2D'],
  block_out_channels: [64],
  layers_per_block: 1,
  act_fn: 'silu',
  latent_channels: 4,
  norm_num_groups: 32,
  sample_size: 32,
  scaling_factor: 0.18215,
  force_upcast: true,
};

function configError(input: unknown): VaeConfigError {
  try {
    parseAutoencoderKLConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(VaeConfigError);
    return err as VaeConfigError;
  }
  throw new Error('expected a VaeConfigError');
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('parseAutoencoderKLConfig', () => {
  it("fills in diffusers 0.25's defaults and no later keys", () => {
    expect(parseAutoencoderKLConfig({})).toEqual(DIFFUSERS_DEFAULTS);
  });

  it('keeps every key of the fixture config.json as it is', () => {
    const raw = tinyConfig();
    const parsed = parseAutoencoderKLConfig(raw);
    expect(parsed).toEqual(raw);
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(raw).sort());
  });

  it('keeps unknown keys, drops diffusers bookkeeping keys, freezes the result, leaves the input alone', () => {
    const input = { latent_channels: 8, my_key: { nested: [1, 2] }, _use_default_values: ['act_fn'], _ignore_files: [] };
    const snapshot = structuredClone(input);
    const parsed = parseAutoencoderKLConfig(input);
    expect(parsed['my_key']).toEqual({ nested: [1, 2] });
    expect('_use_default_values' in parsed).toBe(false);
    expect('_ignore_files' in parsed).toBe(false);
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.block_out_channels)).toBe(true);
    expect(Object.isFrozen(parsed['my_key'])).toBe(true);
    expect(input).toEqual(snapshot);
  });

  it('keeps later diffusers keys only when given', () => {
    const parsed = parseAutoencoderKLConfig({ shift_factor: 0.1159, latents_mean: null, use_quant_conv: false });
    expect(parsed.shift_factor).toBe(0.1159);
    expect(parsed.latents_mean).toBeNull();
    expect(parsed.use_quant_conv).toBe(false);
    expect('use_post_quant_conv' in parsed).toBe(false);
  });

  it('accepts the UNetRes prefix diffusers strips', () => {
    const parsed = parseAutoencoderKLConfig({ down_block_types: ['UNetResDownEncoderBlock2D'], up_block_types: ['UNetResUpDecoderBlock2D'] });
    expect(parsed.down_block_types).toEqual(['UNetResDownEncoderBlock2D']);
  });

  it('lists every problem in one typed error', () => {
    const err = configError({
      block_out_channels: [32, 48],
      norm_num_groups: 32,
      down_block_types: ['DownEncoderBlock2D', 'AttnDownBlock2D'],
      up_block_types: ['UpDecoderBlock2D'],
      latent_channels: 4,
      latents_std: [1, 2],
    });
    expect(err.message).toContain('block_out_channels.1: 48 channels cannot be split into norm_num_groups = 32');
    expect(err.message).toContain("down_block_types.1: 'AttnDownBlock2D' is not supported");
    expect(err.message).toContain('up_block_types: has 1 entries but block_out_channels has 2');
    expect(err.message).toContain('latents_std: has 2 entries but latent_channels is 4');
  });

  it('rejects wrong types, non-objects and configs of other classes', () => {
    expect(configError({ latent_channels: 2.5 }).message).toContain('latent_channels');
    expect(configError({ act_fn: 'tanh' }).message).toContain('act_fn');
    expect(configError({ block_out_channels: [] }).message).toContain('block_out_channels');
    expect(configError([1, 2]).message).toContain('must be an object');
    expect(configError({ _class_name: 'UNet2DConditionModel' }).message).toContain('describes a UNet2DConditionModel');
  });
});

describe('AutoencoderKL.fromConfig', () => {
  it('exposes the LatentCodec numbers and the full config, allocating nothing', () => {
    const before = tf.memory().numTensors;
    const vae = AutoencoderKL.fromConfig(tinyConfig());
    expect(tf.memory().numTensors).toBe(before);
    expect(vae.isInitialized()).toBe(false);
    expect(vae.latentChannels).toBe(4);
    expect(vae.downsampleFactor).toBe(4); // three levels
    expect(vae.scalingFactor).toBe(0.18215);
    expect(vae.shiftFactor).toBe(0);
    expect(vae.config).toEqual(tinyConfig());
    expect(AutoencoderKL.className).toBe('AutoencoderKL');
    expect(AutoencoderKL.fromConfig({ shift_factor: 0.0609 }).shiftFactor).toBe(0.0609);
  });

  it('honours use_quant_conv, use_post_quant_conv and mid_block_add_attention', () => {
    const base = { block_out_channels: [8, 8], down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D'], up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D'], norm_num_groups: 4 };
    const full = [...AutoencoderKL.fromConfig(base).expectedShapes().keys()];
    const slim = [
      ...AutoencoderKL.fromConfig({ ...base, use_quant_conv: false, use_post_quant_conv: false, mid_block_add_attention: false })
        .expectedShapes()
        .keys(),
    ];
    const removed = full.filter((k) => !slim.includes(k));
    expect(removed.every((k) => /^(quant_conv|post_quant_conv|(en|de)coder\.mid_block\.attentions\.0)\./.test(k))).toBe(true);
    expect(removed).toContain('quant_conv.weight');
    expect(removed).toContain('post_quant_conv.bias');
    expect(removed).toContain('encoder.mid_block.attentions.0.to_q.weight');
    expect(removed).toContain('decoder.mid_block.attentions.0.group_norm.weight');
    expect(slim.length).toBe(full.length - removed.length);
  });
});
