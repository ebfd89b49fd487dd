import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, trackPeakBytes, useBackend } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, UNet2DModel, unetMemory } from '../src/index.js';
import { FIXTURES } from './helpers/fixtures.js';

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(async () => {
  await useBackend('cpu');
});

const config = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;

/** The peak tensor memory of `fn`, its result disposed. */
function peakOf(fn: () => tf.Tensor | { dispose(): void }): number {
  const { result, peak } = trackPeakBytes(fn);
  result.dispose();
  return peak;
}

/** The bundled model's U-Net: UNet2DModel, 32/64/128/128 channels, no attention, one norm group. */
const BUNDLED_LIKE = {
  in_channels: 16,
  out_channels: 8,
  block_out_channels: [32, 64, 128, 128],
  layers_per_block: 2,
  norm_num_groups: 1,
  add_attention: false,
  down_block_types: ['DownBlock2D', 'DownBlock2D', 'DownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'UpBlock2D', 'UpBlock2D', 'UpBlock2D'],
};

/** Attention blocks, mid-block attention, ResNet resamplers and scale-shift time embedding. */
const ATTENTION_RESNET = {
  in_channels: 6,
  out_channels: 3,
  block_out_channels: [16, 32],
  layers_per_block: 1,
  norm_num_groups: 4,
  down_block_types: ['AttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['AttnUpBlock2D', 'AttnUpBlock2D'],
  attention_head_dim: 8,
  downsample_type: 'resnet',
  upsample_type: 'resnet',
  resnet_time_scale_shift: 'scale_shift',
};

describe('estimateMemory of the U-Nets', () => {
  test('bounds the measured peak of forward from above within 1 %, for UNet2DModel and UNet2DConditionModel, any size, batch and context', () => {
    const models: Array<[string, UNet2DModel | UNet2DConditionModel, number]> = [
      ['UNet2DModel like the bundled model', UNet2DModel.fromConfig(BUNDLED_LIKE).initialize(createRng(1)), 0],
      ['UNet2DModel unet2d-tiny', UNet2DModel.fromConfig(config('unet2d-tiny')).initialize(createRng(2)), 0],
      ['UNet2DModel with attention and ResNet resamplers', UNet2DModel.fromConfig(ATTENTION_RESNET).initialize(createRng(3)), 0],
      ['UNet2DConditionModel unet-sd2-tiny', UNet2DConditionModel.fromConfig(config('unet-sd2-tiny')).initialize(createRng(4)), 1],
      ['UNet2DConditionModel unet-sd1-tiny', UNet2DConditionModel.fromConfig(config('unet-sd1-tiny')).initialize(createRng(5)), 77],
    ];
    const lines: string[] = [];
    for (const [name, unet, contextLength] of models) {
      for (const [n, h, w] of [
        [1, 16, 16],
        [1, 24, 40],
        [2, 32, 32],
      ] as const) {
        const x = tf.randomNormal([n, h, w, unet.inChannels], 0, 1, 'float32', 6) as tf.Tensor4D;
        const context =
          contextLength > 0 ? (tf.randomNormal([n, contextLength, (unet as UNet2DConditionModel).crossAttentionDim!]) as tf.Tensor3D) : undefined;
        const estimate = unet.estimateMemory([n, h, w], { contextLength }).forward;
        const measured = peakOf(() => unet.forward(x, 999, context));
        tf.dispose([x, ...(context !== undefined ? [context] : [])]);
        lines.push(`${name} ${n}x${h}x${w}: ${estimate} / ${measured}`);
        expect(estimate, `${name} ${n}x${h}x${w}`).toBeGreaterThanOrEqual(measured);
        expect(estimate, `${name} ${n}x${h}x${w}`).toBeLessThanOrEqual(1.01 * measured);
      }
      unet.dispose();
    }
    console.info(`estimate / measured bytes:\n${lines.join('\n')}`);
  });

  test('needs no weights and allocates nothing; grows with the pixels; retained bytes (XNNPACK) only on wasm', () => {
    const unet = UNet2DModel.fromConfig(BUNDLED_LIKE);
    const before = tf.memory().numTensors;
    const small = unet.estimateMemory([1, 64, 64]);
    const large = unet.estimateMemory([1, 128, 128]);
    expect(unetMemory(unet, { batch: 1, height: 64, width: 64 })).toEqual(small);
    expect(tf.memory().numTensors).toBe(before);
    // No attention: linear in the pixel count (up to the timestep embedding's few rows).
    expect(large.forward / small.forward).toBeCloseTo(4, 2);
    expect(large.forwardRetained! / small.forwardRetained!).toBeCloseTo(4, 6);
    expect(small.forward / (64 * 64)).toBeGreaterThan(3500); // about 3.6 KB per latent pixel
    expect(small.forward / (64 * 64)).toBeLessThan(3700);
    expect(unet.estimateMemory([1, 64, 64], { backend: 'cpu' })).toEqual({ forward: small.forward, forwardRetained: 0 });
    expect(unet.estimateMemory([3, 64, 64]).forward).toBe(3 * small.forward);
  });
});
