import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Attention,
  Conv2d,
  Downsample2D,
  Dropout,
  GEGLU,
  GroupNorm,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  NnArgumentError,
  Parameter,
  ResnetBlock2D,
  TimestepEmbedding,
  Timesteps,
  UNetMidBlock2D,
  UninitializedParameterError,
  Upsample2D,
  onesInit,
} from '../src/nn/index.js';
import { useBackend } from '../src/backend/index.js';
import { createRng } from '../src/random/index.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/diffusers/', import.meta.url));

interface KeysCase {
  params: Record<string, number[]>;
  num_parameters: number;
}
const sdKeys = JSON.parse(readFileSync(`${FIXTURES}sd-keys.json`, 'utf8')) as Record<string, KeysCase>;

/** The fixture's names under `prefix` (prefix removed) with their torch shapes. */
function subset(model: string, prefix: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, shape] of Object.entries(sdKeys[model]!.params)) {
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), shape);
  }
  expect(out.size).toBeGreaterThan(0);
  return out;
}

function sorted(m: Map<string, number[]>): Array<[string, number[]]> {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function expectSameKeys(module: Module, expected: Map<string, number[]>): void {
  expect(sorted(module.expectedShapes({ layout: 'torch' }))).toEqual(sorted(expected));
}

/** The SD VAE's mid block: resnets.0, attentions.0 (one head of 512 channels), resnets.1, no time embedding. */
function sdVaeMidBlock(): UNetMidBlock2D {
  return new UNetMidBlock2D({ in_channels: 512, temb_channels: null, resnet_groups: 32, attention_head_dim: 512 });
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('parameter names equal diffusers names', () => {
  it('ResnetBlock2D (VAE, channel change -> conv_shortcut, no time embedding)', () => {
    const block = new ResnetBlock2D({ in_channels: 128, out_channels: 256, temb_channels: null });
    expectSameKeys(block, subset('sd-vae', 'encoder.down_blocks.1.resnets.0.'));
    expect(block.conv_shortcut).not.toBeNull();
  });

  it('ResnetBlock2D (U-Net, with time_emb_proj)', () => {
    const block = new ResnetBlock2D({ in_channels: 320, out_channels: 640, temb_channels: 1280 });
    expectSameKeys(block, subset('sd15-unet-in8', 'down_blocks.1.resnets.0.'));
    const same = new ResnetBlock2D({ in_channels: 320, temb_channels: 1280 });
    expectSameKeys(same, subset('sd15-unet-in8', 'down_blocks.0.resnets.1.'));
    expect(same.conv_shortcut).toBeNull();
  });

  it('UNetMidBlock2D as the VAE builds it (no time embedding, one head with group_norm and biases)', () => {
    const mid = sdVaeMidBlock();
    expectSameKeys(mid, subset('sd-vae', 'decoder.mid_block.'));
    expect(mid.attentions[0]!.heads).toBe(1);
  });

  it('transformer self- and cross-attention, GEGLU and LayerNorm', () => {
    const prefix = 'down_blocks.0.attentions.0.transformer_blocks.0.';
    for (const model of ['sd15-unet-in8', 'sd21-unet-in8']) {
      const ctx = model === 'sd15-unet-in8' ? 768 : 1024;
      expectSameKeys(new Attention({ query_dim: 320, heads: 8, dim_head: 40 }), subset(model, `${prefix}attn1.`));
      expectSameKeys(
        new Attention({ query_dim: 320, cross_attention_dim: ctx, heads: 5, dim_head: 64 }),
        subset(model, `${prefix}attn2.`),
      );
      expectSameKeys(new GEGLU(320, 1280), subset(model, `${prefix}ff.net.0.`));
      expectSameKeys(new Linear(1280, 320), subset(model, `${prefix}ff.net.2.`));
      expectSameKeys(new LayerNorm(320), subset(model, `${prefix}norm3.`));
    }
  });

  it('embeddings, resamplers, convs and norms', () => {
    const m = 'sd15-unet-in8';
    expectSameKeys(new TimestepEmbedding(320, 1280), subset(m, 'time_embedding.'));
    expect(new Timesteps(320, true, 0).expectedShapes().size).toBe(0);
    expectSameKeys(new Downsample2D(320, { use_conv: true, padding: 1 }), subset(m, 'down_blocks.0.downsamplers.0.'));
    expectSameKeys(new Upsample2D(1280, { use_conv: true }), subset(m, 'up_blocks.0.upsamplers.0.'));
    expectSameKeys(new Conv2d(8, 320, 3, { padding: 1 }), subset(m, 'conv_in.'));
    expectSameKeys(new GroupNorm(32, 320), subset(m, 'conv_norm_out.'));
    expectSameKeys(new Conv2d(320, 320, 1), subset(m, 'down_blocks.0.attentions.0.proj_in.'));
    expectSameKeys(new Linear(320, 320), subset('sd21-unet-in8', 'down_blocks.0.attentions.0.proj_in.'));
    expectSameKeys(new Downsample2D(128, { use_conv: true, padding: 0 }), subset('sd-vae', 'encoder.down_blocks.0.downsamplers.0.'));
  });

  it('names are attribute paths, with ModuleList indices, in PyTorch order', () => {
    class Block extends Module {
      readonly norm = new GroupNorm(2, 4);
      readonly layers = new ModuleList([new Linear(4, 4), new Dropout(0), new Linear(4, 2, { bias: false })]);
      readonly skip: Conv2d | null = null;
      readonly extra = new Parameter([3], { init: onesInit });
    }
    const b = new Block();
    // As PyTorch: a module's own parameters first, then its submodules' in property order.
    expect(b.namedParameters().map(([n]) => n)).toEqual([
      'extra',
      'norm.weight',
      'norm.bias',
      'layers.0.weight',
      'layers.0.bias',
      'layers.2.weight',
    ]);
    expect(b.namedModules().map(([n]) => n)).toEqual(['', 'norm', 'layers', 'layers.0', 'layers.1', 'layers.2']);
    expect(b.layers.length).toBe(3);
    expect(b.layers[2]).toBe(b.layers.get(-1));
    expect([...b.layers].length).toBe(3);
    expect(b.expectedShapes({ layout: 'native' }).get('layers.2.weight')).toEqual([4, 2]);
    expect(b.expectedShapes().get('layers.2.weight')).toEqual([2, 4]);
  });

  it('a shared parameter is listed once, under its first name', () => {
    class Tied extends Module {
      readonly a = new Linear(3, 3);
      readonly b: Linear;
      constructor() {
        super();
        this.b = this.a;
      }
    }
    expect(new Tied().namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
  });

  it('a plain array of modules is rejected with advice', () => {
    class Bad extends Module {
      readonly blocks = [new Linear(2, 2)];
    }
    expect(() => new Bad().namedParameters()).toThrow(NnArgumentError);
    expect(() => new Bad().namedParameters()).toThrow(/ModuleList/);
  });
});

describe('lazy, shape-only build', () => {
  it('constructing a 1.3-billion-parameter module allocates no tensor', () => {
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    const big = new ModuleList(
      Array.from({ length: 40 }, () => new ResnetBlock2D({ in_channels: 1280, out_channels: 1280, temb_channels: 1280 })),
    );
    const expectedPerBlock = 2 * (3 * 3 * 1280 * 1280 + 1280) + (1280 * 1280 + 1280) + 4 * 1280;
    expect(big.numParameters()).toBe(40 * expectedPerBlock);
    expect(big.expectedShapes().size).toBe(40 * 10);
    expect(big.isInitialized()).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
  });

  it('a full SD VAE shape walk matches the fixture parameter count', () => {
    // Only the pieces nn provides; the VAE package composes them. Counting the mid block checks numParameters().
    const mid = sdVaeMidBlock();
    const fromFixture = [...subset('sd-vae', 'decoder.mid_block.').values()].reduce(
      (sum, shape) => sum + shape.reduce((a, b) => a * b, 1),
      0,
    );
    expect(mid.numParameters()).toBe(fromFixture);
  });

  it('using an uninitialized module throws a typed error that says what to do', () => {
    const lin = new Linear(3, 2);
    const x = tf.ones([1, 3]);
    expect(() => lin.forward(x)).toThrow(UninitializedParameterError);
    expect(() => lin.forward(x)).toThrow(/initialize\(rng\).*loadStateDict/);
    expect(() => lin.stateDict()).toThrow(UninitializedParameterError);
    expect(() => lin.trainableVariables()).toThrow(UninitializedParameterError);
    x.dispose();
  });
});

describe('initialize, modes, freezing, dispose', () => {
  it('initialize follows PyTorch defaults and is seeded per parameter name', () => {
    const before = tf.memory().numTensors;
    const conv = new Conv2d(4, 6, 3, { padding: 1 });
    conv.initialize(createRng(7));
    const bound = 1 / Math.sqrt(4 * 9);
    const w = conv.weight.value.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    const b = conv.bias!.value.dataSync();
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);

    const again = new Conv2d(4, 6, 3, { padding: 1 }).initialize(createRng(7));
    expect(Array.from(again.weight.value.dataSync())).toEqual(Array.from(w));
    const other = new Conv2d(4, 6, 3, { padding: 1 }).initialize(createRng(8));
    expect(Array.from(other.weight.value.dataSync())).not.toEqual(Array.from(w));

    const norm = new GroupNorm(2, 6).initialize(createRng(1));
    expect(Array.from(norm.weight!.value.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(norm.bias!.value.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);

    for (const m of [conv, again, other, norm]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a parameter value depends on its name, not on the other parameters', () => {
    class A extends Module {
      readonly first = new Linear(3, 3);
      readonly second = new Linear(3, 3);
    }
    class B extends Module {
      readonly second = new Linear(3, 3);
    }
    const a = new A().initialize(createRng(3));
    const b = new B().initialize(createRng(3));
    expect(Array.from(b.second.weight.value.dataSync())).toEqual(Array.from(a.second.weight.value.dataSync()));
    expect(Array.from(a.first.weight.value.dataSync())).not.toEqual(Array.from(a.second.weight.value.dataSync()));
    a.dispose();
    b.dispose();
  });

  it('initialize({ onlyMissing }) keeps loaded values', () => {
    const lin = new Linear(2, 2);
    lin.weight.assign(tf.tidy(() => tf.fill([2, 2], 5)));
    lin.initialize(createRng(1), { onlyMissing: true });
    expect(Array.from(lin.weight.value.dataSync())).toEqual([5, 5, 5, 5]);
    expect(lin.bias!.isInitialized).toBe(true);
    lin.initialize(createRng(1));
    expect(Array.from(lin.weight.value.dataSync())).not.toEqual([5, 5, 5, 5]);
    lin.dispose();
  });

  it('train/eval set the flag on the whole tree; freeze/unfreeze set trainable on parameters and variables', () => {
    const block = new ResnetBlock2D({ in_channels: 4, out_channels: 8, temb_channels: 6, groups: 2 });
    expect(block.namedModules().every(([, m]) => !m.training)).toBe(true);
    block.train();
    expect(block.namedModules().every(([, m]) => m.training)).toBe(true);
    block.eval();
    expect(block.dropout.training).toBe(false);

    block.initialize(createRng(0));
    const all = block.trainableVariables().length;
    expect(all).toBe(block.parameters().length);
    block.conv1.freeze();
    expect(block.conv1.weight.trainable).toBe(false);
    expect(block.conv1.weight.value.trainable).toBe(false);
    expect(block.trainableVariables().length).toBe(all - 2);
    block.unfreeze();
    expect(block.trainableVariables().length).toBe(all);
    expect(block.conv1.weight.value.trainable).toBe(true);

    const before = tf.memory().numTensors;
    block.dispose();
    expect(tf.memory().numTensors).toBe(before - all);
    expect(block.isInitialized()).toBe(false);
  });
});
