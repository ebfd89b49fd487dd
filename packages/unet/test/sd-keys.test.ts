// Full-size Stable Diffusion U-Nets (8 input channels, as YONOS-SR uses them) built shape-only:
// every parameter name, shape and the count must equal what diffusers reports (sd-keys.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, unetFlops } from '../src/index.js';
import { FIXTURES } from './helpers/fixtures.js';

interface KeysEntry {
  readonly class: string;
  readonly config: Record<string, unknown>;
  readonly params: Record<string, number[]>;
  readonly num_parameters: number;
}

beforeAll(async () => {
  await useBackend('cpu');
});

const keys = JSON.parse(readFileSync(join(FIXTURES, 'sd-keys.json'), 'utf8')) as Record<string, KeysEntry>;

describe.each(['sd15-unet-in8', 'sd21-unet-in8'])('%s', (name) => {
  const entry = keys[name]!;

  test('builds with exactly diffusers parameter names, shapes and count, allocating nothing', () => {
    expect(entry.class).toBe(UNet2DConditionModel.className);
    const before = tf.memory().numTensors;
    const model = UNet2DConditionModel.fromConfig(entry.config);
    const shapes = model.expectedShapes();
    expect(tf.memory().numTensors).toBe(before);

    const expected = new Map(Object.entries(entry.params));
    const missing = [...expected.keys()].filter((k) => !shapes.has(k));
    const unexpected = [...shapes.keys()].filter((k) => !expected.has(k));
    const misShaped = [...shapes].filter(([k, s]) => expected.has(k) && JSON.stringify(s) !== JSON.stringify(expected.get(k)));
    expect(missing).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(misShaped).toEqual([]);
    expect(model.numParameters()).toBe(entry.num_parameters);
    expect(model.inChannels).toBe(8);
    expect(model.crossAttentionDim).toBe(entry.config['cross_attention_dim']);
  });

  test('FLOP count of a 64x64 latent is in the range published for SD U-Nets', () => {
    const model = UNet2DConditionModel.fromConfig(entry.config);
    const flops = unetFlops(model, { batch: 1, height: 64, width: 64, contextLength: 77 });
    // SD 1.x/2.x U-Nets are commonly quoted at ~0.8 TFLOPs (~400 GMACs) per 64x64 latent.
    expect(flops.total).toBeGreaterThan(0.7e12);
    expect(flops.total).toBeLessThan(0.9e12);
  });
});
