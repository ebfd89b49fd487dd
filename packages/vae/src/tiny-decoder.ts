import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module } from '@yonos/core/nn';
import type { ActivationName } from '@yonos/core/nn';
import type { TINY_UPSAMPLE_MODES } from './tiny-config.js';
import { AutoencoderTinyBlock } from './tiny-block.js';
import { Activation, Sequential, Upsample } from './tiny-layers.js';
import type { SequentialLayer } from './tiny-layers.js';

/** Options of {@link DecoderTiny}, with diffusers' argument names. */
export interface DecoderTinyOptions {
  /** Latent channels. */
  readonly in_channels: number;
  /** Image channels. */
  readonly out_channels: number;
  /** Blocks per level, lowest resolution first. */
  readonly num_blocks: readonly number[];
  /** Channels per level (all equal, see the config). */
  readonly block_out_channels: readonly number[];
  /** Scale factor of each upsampling. */
  readonly upsampling_scaling_factor: number;
  /** Activation after the first conv and inside the blocks. */
  readonly act_fn: ActivationName;
  /** `nn.Upsample` mode. */
  readonly upsample_fn: (typeof TINY_UPSAMPLE_MODES)[number];
}

/**
 * diffusers' `DecoderTiny`: a soft clamp `tanh(z / 3) * 3`, then one `Sequential` `layers`:
 * a 3x3 conv to `block_out_channels[0]` (with bias) and the activation, then per level
 * `num_blocks[i]` {@link AutoencoderTinyBlock}s, an upsampling (all but the last level) and a
 * 3x3 conv (no bias, except the last level's, which maps to `out_channels`); the output is
 * mapped from `[0, 1]` to `[-1, 1]` (`x * 2 - 1`). Parameter names `layers.<index>.*`.
 */
export class DecoderTiny extends Module {
  /** The layers, PyTorch indices. */
  readonly layers: Sequential;

  constructor(o: DecoderTinyOptions) {
    super();
    const layers: SequentialLayer[] = [new Conv2d(o.in_channels, o.block_out_channels[0]!, 3, { padding: 1 }), new Activation(o.act_fn)];
    o.num_blocks.forEach((count, i) => {
      const last = i === o.num_blocks.length - 1;
      const ch = o.block_out_channels[i]!;
      for (let b = 0; b < count; b++) layers.push(new AutoencoderTinyBlock(ch, ch, o.act_fn));
      if (!last) layers.push(new Upsample(o.upsampling_scaling_factor, o.upsample_fn));
      layers.push(new Conv2d(ch, last ? o.out_channels : ch, 3, { padding: 1, bias: last }));
    });
    this.layers = new Sequential(layers);
  }

  /**
   * @param z NHWC latents `[N, h, w, in_channels]`, float32 (soft-clamped to `(-3, 3)` first).
   * @returns NHWC image `[N, h*f, w*f, out_channels]`, `f = upsampling_scaling_factor^(levels-1)`,
   *   nominally in `[-1, 1]` (not clamped); a new tensor.
   */
  forward(z: tf.Tensor4D): tf.Tensor4D {
    const clamped = tf.tidy(() => tf.mul(tf.tanh(tf.div(z, 3)), 3) as tf.Tensor4D);
    const h = this.layers.forward(clamped);
    clamped.dispose();
    const out = tf.tidy(() => tf.sub(tf.mul(h, 2), 1) as tf.Tensor4D);
    h.dispose();
    return out;
  }
}
