import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module } from '@yonos/core/nn';
import type { ActivationName } from '@yonos/core/nn';
import { AutoencoderTinyBlock } from './tiny-block.js';
import { Sequential } from './tiny-layers.js';
import type { SequentialLayer } from './tiny-layers.js';

/** Options of {@link EncoderTiny}, with diffusers' argument names. */
export interface EncoderTinyOptions {
  /** Image channels. */
  readonly in_channels: number;
  /** Latent channels. */
  readonly out_channels: number;
  /** Blocks per level. */
  readonly num_blocks: readonly number[];
  /** Channels per level (all equal, see the config). */
  readonly block_out_channels: readonly number[];
  /** Block activation. */
  readonly act_fn: ActivationName;
}

/**
 * diffusers' `EncoderTiny`: one `Sequential` `layers` of, per level `i`, a 3x3 conv (level 0:
 * `in_channels -> ch`, with bias; later levels: stride 2, padding 1, no bias) followed by
 * `num_blocks[i]` {@link AutoencoderTinyBlock}s, then a 3x3 conv to the latent channels
 * (with bias). Parameter names `layers.<index>.*`.
 */
export class EncoderTiny extends Module {
  /** The layers, PyTorch indices. */
  readonly layers: Sequential;

  constructor(o: EncoderTinyOptions) {
    super();
    const layers: SequentialLayer[] = [];
    o.num_blocks.forEach((count, i) => {
      const ch = o.block_out_channels[i]!;
      layers.push(
        i === 0 ? new Conv2d(o.in_channels, ch, 3, { padding: 1 }) : new Conv2d(ch, ch, 3, { padding: 1, stride: 2, bias: false }),
      );
      for (let b = 0; b < count; b++) layers.push(new AutoencoderTinyBlock(ch, ch, o.act_fn));
    });
    layers.push(new Conv2d(o.block_out_channels[o.block_out_channels.length - 1]!, o.out_channels, 3, { padding: 1 }));
    this.layers = new Sequential(layers);
  }

  /**
   * @param x NHWC image `[N, H, W, in_channels]`, float32 in `[-1, 1]` (mapped to `[0, 1]`
   *   first, TAESD's convention).
   * @returns NHWC latents `[N, ceil(H/f), ceil(W/f), out_channels]`, `f = 2^(levels-1)`; a new tensor.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const unit = tf.tidy(() => tf.div(tf.add(x, 1), 2) as tf.Tensor4D);
    try {
      return this.layers.forward(unit);
    } finally {
      unit.dispose();
    }
  }
}
