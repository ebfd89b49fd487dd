import * as tf from '@tensorflow/tfjs-core';
import { getActivation } from './activations.js';
import type { ActivationFn, ActivationName } from './activations.js';
import { checkLastDim, checkRank } from './check.js';
import { Conv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { NnArgumentError } from './errors.js';
import { GroupNorm } from './group-norm.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { Downsample2D, Upsample2D } from './sampling.js';

/** Options of {@link ResnetBlock2D}, with diffusers' argument names and defaults. */
export interface ResnetBlock2DOptions {
  /** Input channels. */
  readonly in_channels: number;
  /** Channels of `conv1` (default `in_channels`). */
  readonly out_channels?: number;
  /** Dropout before `conv2` (default 0). */
  readonly dropout?: number;
  /** Width of the time embedding, or `null` for none (the VAE) (default 512). */
  readonly temb_channels?: number | null;
  /** Groups of `norm1` (default 32). */
  readonly groups?: number;
  /** Groups of `norm2` (default `groups`). */
  readonly groups_out?: number;
  /** Epsilon of both norms (default `1e-6`). */
  readonly eps?: number;
  /** Activation (default `'swish'`). */
  readonly non_linearity?: ActivationName;
  /** Skip the activation on the time embedding before `time_emb_proj` (default `false`). */
  readonly skip_time_act?: boolean;
  /** `'default'`: add the projected embedding after `conv1`; `'scale_shift'`: `norm2(h) * (1 + scale) + shift`. */
  readonly time_embedding_norm?: 'default' | 'scale_shift';
  /** Divide the output by this (default 1). */
  readonly output_scale_factor?: number;
  /** Force (or forbid) the 1x1 `conv_shortcut` (default: when input and output channels differ). */
  readonly use_in_shortcut?: boolean;
  /** Bias of `conv_shortcut` (default `true`). */
  readonly conv_shortcut_bias?: boolean;
  /** Channels of `conv2` and of the output (default `out_channels`). */
  readonly conv_2d_out_channels?: number;
  /** Upsample x2 (nearest) after `norm1` (default `false`). */
  readonly up?: boolean;
  /** Downsample x2 (average pooling) after `norm1` (default `false`). */
  readonly down?: boolean;
}

/**
 * diffusers' `ResnetBlock2D`: `norm1 -> act -> conv1 (+ time_emb_proj(act(temb))) -> norm2 ->
 * act -> dropout -> conv2`, plus the input (through the 1x1 `conv_shortcut` when channels
 * change), divided by `output_scale_factor`. NHWC.
 */
export class ResnetBlock2D extends Module {
  /** Input channels. */
  readonly in_channels: number;
  /** Output channels (of `conv2`). */
  readonly out_channels: number;
  /** Output divisor. */
  readonly output_scale_factor: number;
  /** How the time embedding conditions the block. */
  readonly time_embedding_norm: 'default' | 'scale_shift';
  /** Whether the time embedding skips the activation. */
  readonly skip_time_act: boolean;
  /** The activation's diffusers name (`non_linearity`, default `'swish'`). */
  readonly non_linearity: ActivationName;
  /** `GroupNorm(groups, in_channels, eps)`. */
  readonly norm1: GroupNorm;
  /** `Conv2d(in, out, 3, padding 1)`. */
  readonly conv1: Conv2d;
  /** `Linear(temb_channels, out)` (`2 * out` for scale-shift), or `null` without time embedding. */
  readonly time_emb_proj: Linear | null;
  /** `GroupNorm(groups_out, out_channels, eps)`. */
  readonly norm2: GroupNorm;
  /** Dropout before `conv2`. */
  readonly dropout: Dropout;
  /** `Conv2d(out, conv_2d_out, 3, padding 1)`. */
  readonly conv2: Conv2d;
  /** Parameter-free x2 resampling after `norm1`, when `up` or `down`. */
  readonly upsample: Upsample2D | null;
  /** Parameter-free /2 resampling after `norm1`, when `down`. */
  readonly downsample: Downsample2D | null;
  /** 1x1 `Conv2d(in, conv_2d_out)` on the skip path, or `null`. */
  readonly conv_shortcut: Conv2d | null;
  readonly #act: ActivationFn;

  /** @throws {@link NnArgumentError} for an unknown `time_embedding_norm`, `up` with `down`, or channels not divisible by the groups. */
  constructor(options: ResnetBlock2DOptions) {
    super();
    const o = options;
    const outChannels = o.out_channels ?? o.in_channels;
    const convOut = o.conv_2d_out_channels ?? outChannels;
    const groups = o.groups ?? 32;
    const eps = o.eps ?? 1e-6;
    const tembChannels = o.temb_channels === undefined ? 512 : o.temb_channels;
    this.in_channels = o.in_channels;
    this.out_channels = convOut;
    this.output_scale_factor = o.output_scale_factor ?? 1;
    this.time_embedding_norm = o.time_embedding_norm ?? 'default';
    if (this.time_embedding_norm !== 'default' && this.time_embedding_norm !== 'scale_shift') {
      throw new NnArgumentError(
        `ResnetBlock2D: unsupported time_embedding_norm '${String(this.time_embedding_norm)}': use 'default' or 'scale_shift'.`,
      );
    }
    if (o.up === true && o.down === true) throw new NnArgumentError('ResnetBlock2D: up and down are exclusive.');
    this.skip_time_act = o.skip_time_act ?? false;
    this.non_linearity = o.non_linearity ?? 'swish';
    this.#act = getActivation(this.non_linearity);

    this.norm1 = new GroupNorm(groups, o.in_channels, { eps });
    this.conv1 = new Conv2d(o.in_channels, outChannels, 3, { padding: 1 });
    this.time_emb_proj =
      tembChannels === null
        ? null
        : new Linear(tembChannels, this.time_embedding_norm === 'scale_shift' ? 2 * outChannels : outChannels);
    this.norm2 = new GroupNorm(o.groups_out ?? groups, outChannels, { eps });
    this.dropout = new Dropout(o.dropout ?? 0);
    this.conv2 = new Conv2d(outChannels, convOut, 3, { padding: 1 });
    this.upsample = o.up === true ? new Upsample2D(o.in_channels) : null;
    this.downsample = o.down === true ? new Downsample2D(o.in_channels) : null;
    const useShortcut = o.use_in_shortcut ?? o.in_channels !== convOut;
    this.conv_shortcut = useShortcut
      ? new Conv2d(o.in_channels, convOut, 1, { bias: o.conv_shortcut_bias ?? true })
      : null;
  }

  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @param temb Time embedding `[N, temb_channels]`, or `null`/omitted (required shape-wise
   *   only when the block has `time_emb_proj`; ignored otherwise).
   * @returns NHWC `[N, H, W, out_channels]` (x2 / half size with `up` / `down`); a new tensor.
   */
  forward(x: tf.Tensor4D, temb?: tf.Tensor2D | null): tf.Tensor4D {
    checkRank('ResnetBlock2D', x, [4], 'NHWC');
    checkLastDim('ResnetBlock2D', x, this.in_channels);
    if (temb != null && this.time_emb_proj !== null) {
      checkRank('ResnetBlock2D temb', temb, [2], '[N, temb_channels]');
    }
    return tf.tidy(() => {
      let input: tf.Tensor4D = x;
      let h = this.#act(this.norm1.forward(x)) as tf.Tensor4D;
      if (this.upsample !== null) {
        input = this.upsample.forward(input);
        h = this.upsample.forward(h);
      } else if (this.downsample !== null) {
        input = this.downsample.forward(input);
        h = this.downsample.forward(h);
      }
      h = this.conv1.forward(h);

      let t: tf.Tensor | null = null;
      if (this.time_emb_proj !== null && temb != null) {
        const activated = this.skip_time_act ? temb : this.#act(temb);
        const projected = this.time_emb_proj.forward(activated);
        t = tf.reshape(projected, [projected.shape[0]!, 1, 1, projected.shape[1]!]);
      }
      if (t !== null && this.time_embedding_norm === 'default') h = tf.add(h, t);
      h = this.norm2.forward(h) as tf.Tensor4D;
      if (t !== null && this.time_embedding_norm === 'scale_shift') {
        const [scale, shift] = tf.split(t, 2, -1);
        h = tf.add(tf.mul(h, tf.add(scale!, 1)), shift!);
      }
      h = this.#act(h) as tf.Tensor4D;
      h = this.dropout.forward(h) as tf.Tensor4D;
      h = this.conv2.forward(h);

      if (this.conv_shortcut !== null) input = this.conv_shortcut.forward(input);
      let out: tf.Tensor4D = tf.add(input, h);
      if (this.output_scale_factor !== 1) out = tf.div(out, this.output_scale_factor);
      return out;
    });
  }
}
