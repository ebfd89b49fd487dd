import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module } from '@yonos/core/nn';
import type { ActivationName } from '@yonos/core/nn';
import { Activation, Sequential } from './tiny-layers.js';

/**
 * diffusers' `AutoencoderTinyBlock`: `relu(conv(x) + skip(x))` with `conv` a `Sequential` of
 * conv 3x3, act, conv 3x3, act, conv 3x3 (parameters `conv.0.*`, `conv.2.*`, `conv.4.*`, all
 * with bias) and `skip` a bias-free 1x1 conv when the channel count changes, else the identity.
 */
export class AutoencoderTinyBlock extends Module {
  /** conv, act, conv, act, conv (3x3, padding 1). */
  readonly conv: Sequential;
  /** `Conv2d(in, out, 1, bias=False)` when `in_channels !== out_channels`, else `null` (identity). */
  readonly skip: Conv2d | null;

  /**
   * @param in_channels Input channels.
   * @param out_channels Output channels.
   * @param act_fn Activation between the convs (the final fuse is always ReLU).
   */
  constructor(in_channels: number, out_channels: number, act_fn: ActivationName) {
    super();
    this.conv = new Sequential([
      new Conv2d(in_channels, out_channels, 3, { padding: 1 }),
      new Activation(act_fn),
      new Conv2d(out_channels, out_channels, 3, { padding: 1 }),
      new Activation(act_fn),
      new Conv2d(out_channels, out_channels, 3, { padding: 1 }),
    ]);
    this.skip = in_channels !== out_channels ? new Conv2d(in_channels, out_channels, 1, { bias: false }) : null;
  }

  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @returns NHWC `[N, H, W, out_channels]`, non-negative; a new tensor.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const skip = this.skip !== null ? this.skip.forward(x) : x;
      return tf.relu(tf.add(this.conv.forward(x), skip)) as tf.Tensor4D;
    });
  }
}
