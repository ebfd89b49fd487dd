// The real stabilityai/stable-diffusion-x4-upscaler U-Net built shape-only: every parameter name,
// shape and the count must be diffusers'. No fixture lists that checkpoint's keys, so the expected
// layout comes from diffusersUNetLayout (helpers/diffusers-unet-keys.ts), an independent statement
// of diffusers 0.25's module structure, which is first checked here against lists diffusers itself
// wrote: sd-keys.json (SD 1.5 / 2.1 U-Nets, layers_per_block 2, conv and linear projections) and
// the weights file of sd-x4-upscaler-tiny (the upscaler's block order, only_cross_attention and
// class table, at tiny widths and one ResNet per block). The config is the public one, as the
// fixture records it (io.json configs.real_stable_diffusion_x4_upscaler.unet; it matches
// Stability-AI's x4-upscaling.yaml: model_channels 256, channel_mult [1,2,2,4], num_heads 8,
// disable_self_attentions [T,T,T,F], num_classes 1000, context_dim 1024).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { openSafetensorsFile } from '@yonos/core/node';
import { beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, unetFlops, unetMemory } from '../src/index.js';
import { diffusersUNetLayout, layoutSize } from './helpers/diffusers-unet-keys.js';
import type { DiffusersUNetLayoutConfig } from './helpers/diffusers-unet-keys.js';
import { FIXTURES } from './helpers/fixtures.js';
import { UPSCALER_DIR } from './helpers/upscaler-fixture.js';

interface KeysEntry {
  readonly config: Record<string, unknown>;
  readonly params: Record<string, number[]>;
  readonly num_parameters: number;
}

const REAL_UPSCALER_UNET = (
  JSON.parse(readFileSync(join(UPSCALER_DIR, 'io.json'), 'utf8')) as { configs: { real_stable_diffusion_x4_upscaler: { unet: Record<string, unknown> } } }
).configs.real_stable_diffusion_x4_upscaler.unet;

beforeAll(async () => {
  await useBackend('cpu');
});

/** Missing, unexpected and mis-shaped names of `got` against `want` (all empty when they agree). */
function compare(got: ReadonlyMap<string, readonly number[]>, want: ReadonlyMap<string, readonly number[]>): Record<string, string[]> {
  return {
    missing: [...want.keys()].filter((k) => !got.has(k)),
    unexpected: [...got.keys()].filter((k) => !want.has(k)),
    misShaped: [...got].filter(([k, s]) => want.has(k) && s.join() !== want.get(k)!.join()).map(([k]) => k),
  };
}
const AGREE = { missing: [], unexpected: [], misShaped: [] };

describe('the independent layout reproduces key lists diffusers wrote', () => {
  const keys = JSON.parse(readFileSync(join(FIXTURES, 'sd-keys.json'), 'utf8')) as Record<string, KeysEntry>;

  test.each(['sd15-unet-in8', 'sd21-unet-in8'])('%s (sd-keys.json)', (name) => {
    const entry = keys[name]!;
    const layout = diffusersUNetLayout(entry.config as unknown as DiffusersUNetLayoutConfig);
    expect(compare(layout, new Map(Object.entries(entry.params)))).toEqual(AGREE);
    expect(layoutSize(layout)).toBe(entry.num_parameters);
  });

  test('sd-x4-upscaler-tiny (its diffusion_pytorch_model.safetensors header)', async () => {
    const config = JSON.parse(readFileSync(join(UPSCALER_DIR, 'unet', 'config.json'), 'utf8')) as DiffusersUNetLayoutConfig;
    const reader = await openSafetensorsFile(join(UPSCALER_DIR, 'unet', 'diffusion_pytorch_model.safetensors'));
    try {
      const written = new Map(reader.keys().map((k) => [k, [...reader.info(k).shape]]));
      expect(compare(diffusersUNetLayout(config), written)).toEqual(AGREE);
    } finally {
      await reader.close();
    }
  });
});

describe('stabilityai/stable-diffusion-x4-upscaler U-Net, shape-only', () => {
  test('the config is the upscaler', () => {
    expect(REAL_UPSCALER_UNET).toMatchObject({
      in_channels: 7,
      out_channels: 4,
      block_out_channels: [256, 512, 512, 1024],
      layers_per_block: 2,
      attention_head_dim: 8,
      only_cross_attention: [true, true, true, false],
      num_class_embeds: 1000,
      cross_attention_dim: 1024,
      use_linear_projection: true,
      down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
      up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    });
  });

  test("builds with exactly diffusers' parameter names, shapes and count, allocating nothing", () => {
    const before = tf.memory().numTensors;
    const model = UNet2DConditionModel.fromConfig(REAL_UPSCALER_UNET);
    const shapes = model.expectedShapes();
    expect(tf.memory().numTensors).toBe(before);
    expect(model.isInitialized()).toBe(false);

    const want = diffusersUNetLayout(REAL_UPSCALER_UNET as unknown as DiffusersUNetLayoutConfig);
    expect(compare(shapes, want)).toEqual(AGREE);
    expect(shapes.size).toBe(want.size);
    expect(model.numParameters()).toBe(layoutSize(want));
    console.log(`[keys] sd-x4-upscaler U-Net: ${shapes.size} tensors, ${model.numParameters()} parameters`);

    // The parts that make it the upscaler, spelled out.
    expect(shapes.get('conv_in.weight')).toEqual([256, 7, 3, 3]);
    expect(shapes.get('conv_out.weight')).toEqual([4, 256, 3, 3]);
    expect(shapes.get('class_embedding.weight')).toEqual([1000, 1024]);
    expect([...shapes.keys()].some((k) => k.startsWith('down_blocks.0.attentions') || k.startsWith('up_blocks.3.attentions'))).toBe(false);
    // only_cross_attention: attn1 attends to the 1024-wide text context in levels 1-2, itself at level 3 and in the mid block.
    expect(shapes.get('down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight')).toEqual([512, 1024]);
    expect(shapes.get('up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_k.weight')).toEqual([512, 1024]);
    expect(shapes.get('down_blocks.3.attentions.1.transformer_blocks.0.attn1.to_k.weight')).toEqual([1024, 1024]);
    expect(shapes.get('up_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.weight')).toEqual([1024, 1024]);
    expect(shapes.get('mid_block.attentions.0.transformer_blocks.0.attn1.to_k.weight')).toEqual([1024, 1024]);
    expect(shapes.get('down_blocks.1.attentions.0.proj_in.weight')).toEqual([512, 512]); // linear projection

    expect(model.inChannels).toBe(7);
    expect(model.crossAttentionDim).toBe(1024);
    expect(model.classConditioning).toEqual({ kind: 'index', numClasses: 1000 });
    expect(UNet2DConditionModel.configFromWeights(shapes)).toMatchObject({
      in_channels: 7,
      block_out_channels: [256, 512, 512, 1024],
      layers_per_block: 2,
      cross_attention_dim: 1024,
      num_class_embeds: 1000,
      class_embed_type: null,
    });
  });

  test('FLOPs and memory of one step at a 128x128 latent (a 512x512 output) with CFG (batch 2), from the counters', () => {
    const model = UNet2DConditionModel.fromConfig(REAL_UPSCALER_UNET);
    const input = { batch: 2, height: 128, width: 128, contextLength: 77 };
    const flops = unetFlops(model, input);
    const memory = unetMemory(model, { ...input, backend: 'webgpu' });
    console.log(
      `[cost] sd-x4-upscaler U-Net, 128x128 latent, batch 2: ${(flops.total / 1e12).toFixed(2)} TFLOPs ` +
        `(attention products ${(flops.attention / 1e12).toFixed(2)}), peak tensor memory ${(memory.forward / 2 ** 30).toFixed(2)} GiB`,
    );
    expect(flops.total).toBeGreaterThan(0);
    // only_cross_attention: levels 1-2 (64x64 and 32x32 tokens) attend to the 77 context tokens only, so
    // the attention products stay small (self-attention over 4096 tokens there would be ~15% of the total).
    expect(flops.attention).toBeGreaterThan(0);
    expect(flops.attention).toBeLessThan(0.02 * flops.total);
  });
});
