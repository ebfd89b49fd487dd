import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL } from '../src/index.js';
import { DIFFUSERS_FIXTURES } from './helpers.js';

interface SdKeysCase {
  class: string;
  config: Record<string, unknown>;
  params: Record<string, number[]>;
  num_parameters: number;
}

const sdVae = (JSON.parse(readFileSync(`${DIFFUSERS_FIXTURES}sd-keys.json`, 'utf8')) as Record<string, SdKeysCase>)['sd-vae']!;

describe('the full-size SD VAE (sd-keys.json sd-vae)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('builds shape-only with exactly diffusers\' parameter names, PyTorch shapes, order and count', async () => {
    const before = tf.memory();
    const vae = AutoencoderKL.fromConfig(sdVae.config);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(vae.isInitialized()).toBe(false);

    expect(sdVae.class).toBe(AutoencoderKL.className);
    const shapes = vae.expectedShapes({ layout: 'torch' });
    const expected = Object.entries(sdVae.params);
    const missing = expected.filter(([name]) => !shapes.has(name)).map(([name]) => name);
    const unexpected = [...shapes.keys()].filter((name) => !(name in sdVae.params));
    const misShaped = expected.filter(([name, shape]) => shapes.has(name) && shapes.get(name)!.join() !== shape.join());
    expect({ missing, unexpected, misShaped }).toEqual({ missing: [], unexpected: [], misShaped: [] });
    // PyTorch's state_dict order, so a saved checkpoint lists tensors as diffusers does.
    expect([...shapes.keys()]).toEqual(expected.map(([name]) => name));
    expect(vae.numParameters()).toBe(sdVae.num_parameters);
    expect(vae.downsampleFactor).toBe(8);
  });
});
