import * as tf from '@tensorflow/tfjs-core';
import { checkLastDim, checkRank } from './check.js';
import { Conv2d } from './conv.js';
import { NnArgumentError } from './errors.js';
import { Module } from './module.js';

/** Options of {@link Upsample2D}, with diffusers' argument names. */
export interface Upsample2DOptions {
  /** Follow the resize with a `conv` (default `false`). */
  readonly use_conv?: boolean;
  /** Output channels of `conv` (default `channels`). */
  readonly out_channels?: number;
  /** Kernel of `conv` (default 3). */
  readonly kernel_size?: number;
  /** Padding of `conv` (default 1). */
  readonly padding?: number;
  /** Bias of `conv` (default `true`). */
  readonly bias?: boolean;
}

/**
 * diffusers' `Upsample2D` (interpolating form): nearest-neighbour x2 (or to an explicit
 * size), then optionally `conv` (a `Conv2d(channels, out_channels, 3, padding 1)`).
 */
export class Upsample2D extends Module {
  /** Input channels. */
  readonly channels: number;
  /** Output channels. */
  readonly out_channels: number;
  /** The convolution, or `null` without `use_conv`. */
  readonly conv: Conv2d | null;

  /** @throws {@link NnArgumentError} if `out_channels` differs from `channels` without `use_conv`. */
  constructor(channels: number, options: Upsample2DOptions = {}) {
    super();
    this.channels = channels;
    this.out_channels = options.out_channels ?? channels;
    if (options.use_conv === true) {
      this.conv = new Conv2d(channels, this.out_channels, options.kernel_size ?? 3, {
        padding: options.padding ?? 1,
        bias: options.bias ?? true,
      });
    } else {
      if (this.out_channels !== channels) {
        throw new NnArgumentError('Upsample2D: out_channels differs from channels but use_conv is false.');
      }
      this.conv = null;
    }
  }

  /**
   * @param x NHWC `[N, H, W, channels]`, float32.
   * @param outputSize `[H', W']` to resize to instead of `[2H, 2W]` (PyTorch `nearest`: source
   *   index `floor(dst * in / out)`), as diffusers' `output_size`.
   * @returns NHWC `[N, 2H, 2W, out_channels]` (or `[N, H', W', out_channels]`); a new tensor.
   */
  forward(x: tf.Tensor4D, outputSize?: readonly [number, number]): tf.Tensor4D {
    checkRank('Upsample2D', x, [4], 'NHWC');
    checkLastDim('Upsample2D', x, this.channels);
    return tf.tidy(() => {
      const size: [number, number] = outputSize !== undefined ? [outputSize[0], outputSize[1]] : [x.shape[1] * 2, x.shape[2] * 2];
      // alignCorners/halfPixelCenters off is exactly PyTorch's legacy 'nearest' rule.
      const up = tf.image.resizeNearestNeighbor(x, size, false, false);
      return this.conv !== null ? this.conv.forward(up) : up;
    });
  }
}

/** Options of {@link Downsample2D}, with diffusers' argument names. */
export interface Downsample2DOptions {
  /** Downsample with a stride-2 `conv` (default `false`: 2x2 average pooling). */
  readonly use_conv?: boolean;
  /** Output channels of `conv` (default `channels`). */
  readonly out_channels?: number;
  /** Padding of `conv` (default 1); 0 pads only right and bottom by 1, as diffusers does. */
  readonly padding?: number;
  /** Kernel of `conv` (default 3). */
  readonly kernel_size?: number;
  /** Bias of `conv` (default `true`). */
  readonly bias?: boolean;
}

/**
 * diffusers' `Downsample2D`: a stride-2 `conv`, or 2x2 average pooling without `use_conv`.
 * With `padding: 0` (the VAE encoder) the input is zero-padded by one row at the bottom and
 * one column at the right first, so the result is `ceil`-sized, as in diffusers.
 */
export class Downsample2D extends Module {
  /** Input channels. */
  readonly channels: number;
  /** Output channels. */
  readonly out_channels: number;
  /** The conv's padding. */
  readonly padding: number;
  /** The stride-2 convolution, or `null` when pooling. */
  readonly conv: Conv2d | null;

  /** @throws {@link NnArgumentError} if `out_channels` differs from `channels` without `use_conv`. */
  constructor(channels: number, options: Downsample2DOptions = {}) {
    super();
    this.channels = channels;
    this.out_channels = options.out_channels ?? channels;
    this.padding = options.padding ?? 1;
    if (options.use_conv === true) {
      const p = this.padding;
      this.conv = new Conv2d(channels, this.out_channels, options.kernel_size ?? 3, {
        stride: 2,
        // diffusers pads (0, 1, 0, 1) by hand when padding is 0; folding it into the conv is equivalent.
        padding: p === 0 ? [[0, 1], [0, 1]] : p,
        bias: options.bias ?? true,
      });
    } else {
      if (this.out_channels !== channels) {
        throw new NnArgumentError('Downsample2D: out_channels differs from channels but use_conv is false.');
      }
      this.conv = null;
    }
  }

  /**
   * @param x NHWC `[N, H, W, channels]`, float32.
   * @returns NHWC `[N, H', W', out_channels]`: with the conv, `H' = floor((H + 2p - k) / 2) + 1`
   *   (`p = 0`: `floor((H + 1 - k) / 2) + 1`); pooling gives `floor(H / 2)`. A new tensor.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    checkRank('Downsample2D', x, [4], 'NHWC');
    checkLastDim('Downsample2D', x, this.channels);
    if (this.conv !== null) return this.conv.forward(x);
    return tf.tidy(() => tf.avgPool(x, 2, 2, 'valid'));
  }
}
