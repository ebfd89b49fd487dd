import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, trackPeakBytes, useBackend } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL, AutoencoderTiny, autoencoderKLMemory, autoencoderTinyMemory } from '../src/index.js';
import { DIFFUSERS_FIXTURES, tinyConfig } from './helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(async () => {
  await useBackend('cpu');
});

/** The peak tensor memory of `fn`, its result disposed. */
function peakOf(fn: () => tf.Tensor | { dispose(): void }): number {
  const { result, peak } = trackPeakBytes(fn);
  result.dispose();
  return peak;
}

/** The bundled model's codec: AutoencoderTiny with 32 channels, factor 2, 8 latent channels. */
const BUNDLED_LIKE = {
  block_out_channels: [32, 32],
  encoder_block_out_channels: [32, 32],
  decoder_block_out_channels: [32, 32],
  num_encoder_blocks: [1, 2],
  num_decoder_blocks: [2, 1],
  latent_channels: 8,
};

describe('estimateMemory of the VAEs', () => {
  it('bounds the measured peak of encode and decode from above within 1 % (AutoencoderTiny, AutoencoderKL), in any size and batch', () => {
    const models: Array<[string, AutoencoderTiny | AutoencoderKL]> = [
      ['AutoencoderTiny like the bundled model', AutoencoderTiny.fromConfig(BUNDLED_LIKE).initialize(createRng(1))],
      ['AutoencoderTiny TAESD-like', AutoencoderTiny.fromConfig(taesdConfig()).initialize(createRng(2))],
      ['AutoencoderKL vae-tiny (mid-block attention)', AutoencoderKL.fromConfig(tinyConfig()).initialize(createRng(3))],
    ];
    const lines: string[] = [];
    for (const [name, vae] of models) {
      for (const [n, h, w] of [
        [1, 64, 64],
        [1, 96, 160],
        [2, 128, 128],
      ] as const) {
        const image = tf.randomUniform([n, h, w, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
        const estimate = vae.estimateMemory([n, h, w]);
        const encode = peakOf(() => vae.encode(image));
        const posterior = vae.encode(image);
        const decode = peakOf(() => vae.decode(posterior.mean));
        posterior.dispose();
        image.dispose();
        lines.push(`${name} ${n}x${h}x${w}: encode ${estimate.encode} / ${encode}, decode ${estimate.decode} / ${decode}`);
        expect(estimate.encode).toBeGreaterThanOrEqual(encode);
        expect(estimate.decode).toBeGreaterThanOrEqual(decode);
        expect(estimate.encode).toBeLessThanOrEqual(1.01 * encode);
        expect(estimate.decode).toBeLessThanOrEqual(1.01 * decode);
      }
      vae.dispose();
    }
    console.info(`estimate / measured bytes:\n${lines.join('\n')}`);
  });

  it('needs no weights and allocates nothing; retained bytes (XNNPACK) only on wasm, 36 per pixel of every 3x3 conv', () => {
    const tiny = AutoencoderTiny.fromConfig(BUNDLED_LIKE);
    const kl = AutoencoderKL.fromConfig(tinyConfig());
    const before = tf.memory().numTensors;
    const t = tiny.estimateMemory([1, 64, 64]);
    expect(autoencoderTinyMemory(tiny, [1, 64, 64])).toEqual(t);
    expect(autoencoderKLMemory(kl, [1, 64, 64])).toEqual(kl.estimateMemory([1, 64, 64]));
    expect(tf.memory().numTensors).toBe(before);
    // Encoder: 3x3 convs at full size (conv_in, one block), then a strided conv and 2 blocks and
    // the latent conv at half size. Decoder: conv_in and 2 blocks at half size, then the conv
    // after the upsampling, one block and the output conv at full size.
    const full = 64 * 64;
    const half = 32 * 32;
    expect(t.encodeRetained).toBe(36 * (4 * full + 8 * half));
    expect(t.decodeRetained).toBe(36 * (7 * half + 5 * full));
    for (const backend of ['cpu', 'webgpu', 'webgl']) {
      const other = tiny.estimateMemory([1, 64, 64], { backend });
      expect(other).toMatchObject({ encode: t.encode, decode: t.decode, encodeRetained: 0, decodeRetained: 0 });
    }
    expect(tiny.estimateMemory([1, 64, 64], { backend: 'wasm' })).toEqual(t);
    expect(kl.estimateMemory([2, 64, 64]).decode).toBe(2 * kl.estimateMemory([1, 64, 64]).decode);
  });
});

/** The vae-tiny-taesd fixture's config: TAESD's architecture (64 channels, factor 8). */
function taesdConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(`${DIFFUSERS_FIXTURES}vae-tiny-taesd/config.json`, 'utf8')) as Record<string, unknown>;
}
