import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, GroupNorm, Module, ModuleList, UNetMidBlock2D, silu } from '@yonos/core/nn';
import type { ActivationName } from '@yonos/core/nn';
import { DownEncoderBlock2D } from './blocks.js';

/** Options of {@link Encoder}, with diffusers' argument names (what `AutoencoderKL` passes). */
export interface EncoderOptions {
  /** Image channels. */
  readonly in_channels: number;
  /** Latent channels (the output has twice as many with `double_z`). */
  readonly out_channels: number;
  /** Channels per level. */
  readonly block_out_channels: readonly number[];
  /** Resnets per down block. */
  readonly layers_per_block: number;
  /** GroupNorm groups. */
  readonly norm_num_groups: number;
  /** Resnet activation. */
  readonly act_fn: ActivationName;
  /** Output mean and log-variance (`2 * out_channels`) (default `true`). */
  readonly double_z?: boolean;
  /** Self-attention in the mid block (default `true`). */
  readonly mid_block_add_attention?: boolean;
}

/**
 * diffusers' VAE `Encoder`: `conv_in`, one `DownEncoderBlock2D` per level (stride-2
 * downsampling, padding 0, on all but the last), the mid block with self-attention, then
 * `conv_norm_out` (GroupNorm, eps 1e-6), SiLU and `conv_out`.
 */
export class Encoder extends Module {
  /** `Conv2d(in_channels, block_out_channels[0], 3, padding 1)`. */
  readonly conv_in: Conv2d;
  /** One block per level. */
  readonly down_blocks: ModuleList<DownEncoderBlock2D>;
  /** Resnet, attention, resnet at the lowest resolution. */
  readonly mid_block: UNetMidBlock2D;
  /** GroupNorm over the last level's channels. */
  readonly conv_norm_out: GroupNorm;
  /** `Conv2d(block_out_channels[-1], 2 * out_channels, 3, padding 1)`. */
  readonly conv_out: Conv2d;

  constructor(o: EncoderOptions) {
    super();
    const channels = o.block_out_channels;
    const last = channels[channels.length - 1]!;
    const common = { resnet_groups: o.norm_num_groups, resnet_act_fn: o.act_fn, resnet_eps: 1e-6 };
    this.conv_in = new Conv2d(o.in_channels, channels[0]!, 3, { padding: 1 });
    this.down_blocks = new ModuleList(
      channels.map(
        (out, i) =>
          new DownEncoderBlock2D({
            ...common,
            in_channels: i === 0 ? channels[0]! : channels[i - 1]!,
            out_channels: out,
            num_layers: o.layers_per_block,
            add_downsample: i < channels.length - 1,
            downsample_padding: 0,
          }),
      ),
    );
    this.mid_block = new UNetMidBlock2D({
      ...common,
      in_channels: last,
      temb_channels: null,
      attention_head_dim: last,
      add_attention: o.mid_block_add_attention ?? true,
    });
    this.conv_norm_out = new GroupNorm(o.norm_num_groups, last, { eps: 1e-6 });
    this.conv_out = new Conv2d(last, (o.double_z ?? true) ? 2 * o.out_channels : o.out_channels, 3, { padding: 1 });
  }

  /**
   * @param x NHWC image `[N, H, W, in_channels]`, float32, nominally in `[-1, 1]`.
   * @returns NHWC `[N, H/f, W/f, 2 * out_channels]` (the posterior's moments: means, then
   *   log-variances), `f = 2^(levels - 1)` (sizes round down); a new tensor.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    let h = this.conv_in.forward(x);
    for (const block of [...this.down_blocks, this.mid_block]) {
      const next = block.forward(h);
      h.dispose();
      h = next;
    }
    const out = tf.tidy(() => this.conv_out.forward(silu(this.conv_norm_out.forward(h)) as tf.Tensor4D));
    h.dispose();
    return out;
  }
}
