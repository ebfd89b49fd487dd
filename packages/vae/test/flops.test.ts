import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { Attention, Conv2d } from '@yonos/core/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL, autoencoderKLFlops } from '../src/index.js';
import type { AutoencoderKLConfigInput } from '../src/index.js';
import { tinyConfig } from './helpers.js';

/**
 * Counts FLOPs by watching a real forward pass: every Conv2d reports its output shape and
 * every attention its sequence length (its projections are Linear layers counted through
 * the attention's call), independently of the analytic formula.
 */
function observedFlops(vae: AutoencoderKL, run: () => tf.Tensor): number {
  let flops = 0;
  const restore: Array<() => void> = [];
  for (const [, m] of vae.namedModules()) {
    if (m instanceof Conv2d) {
      const original = m.forward.bind(m);
      m.forward = (x) => {
        const y = original(x);
        const [kh, kw] = m.kernel_size;
        flops += 2 * y.size * kh * kw * m.in_channels;
        return y;
      };
      restore.push(() => delete (m as { forward?: unknown }).forward);
    } else if (m instanceof Attention) {
      const original = m.forward.bind(m);
      m.forward = (x, ctx) => {
        const [n, h, w, c] = x.shape as [number, number, number, number];
        const l = h * w;
        flops += 4 * 2 * n * l * c * c + 2 * 2 * n * l * l * m.inner_dim;
        return original(x, ctx);
      };
      restore.push(() => delete (m as { forward?: unknown }).forward);
    }
  }
  try {
    tf.dispose(run());
  } finally {
    for (const r of restore) r();
  }
  return flops;
}

const CASES: Array<[string, AutoencoderKLConfigInput, [number, number], number]> = [
  ['vae-tiny, 32x32, batch 2', tinyConfig(), [32, 32], 2],
  ['vae-tiny, odd 18x22', tinyConfig(), [18, 22], 1],
  [
    'two levels, shortcut convs, no quant convs, layers_per_block 1',
    {
      block_out_channels: [8, 16],
      down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D'],
      up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D'],
      norm_num_groups: 4,
      latent_channels: 3,
      use_quant_conv: false,
      use_post_quant_conv: false,
    },
    [12, 8],
    1,
  ],
];

describe('autoencoderKLFlops', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(CASES)('matches the convolutions and attention of a real pass (%s)', async (_name, config, [h, w], batch) => {
    const vae = AutoencoderKL.fromConfig(config).initialize(createRng(0));
    const image = tf.zeros([batch, h, w, vae.config.in_channels]) as tf.Tensor4D;
    const counted = autoencoderKLFlops(config, [h, w], batch);
    let latent: tf.Tensor4D | undefined;
    const encode = observedFlops(vae, () => {
      const p = vae.encode(image);
      latent = p.mode();
      p.dispose();
      return latent;
    });
    const z = tf.zeros([batch, Math.floor(h / vae.downsampleFactor), Math.floor(w / vae.downsampleFactor), vae.latentChannels]) as tf.Tensor4D;
    const decode = observedFlops(vae, () => vae.decode(z));
    expect(counted.encode).toBe(encode);
    expect(counted.decode).toBe(decode);
    expect(counted.total).toBe(encode + decode);
    tf.dispose([image, z]);
    vae.dispose();
  });
});
