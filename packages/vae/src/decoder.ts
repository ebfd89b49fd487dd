import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, GroupNorm, Module, ModuleList, UNetMidBlock2D, silu } from '@yonos/core/nn';
import type { ActivationName } from '@yonos/core/nn';
import { UpDecoderBlock2D } from './blocks.js';

/** Options of {@link Decoder}, with diffusers' argument names (what `AutoencoderKL` passes). */
export interface DecoderOptions {
  /** Latent channels. */
  readonly in_channels: number;
  /** Image channels. */
  readonly out_channels: number;
  /** Channels per level, highest resolution first (the decoder walks them in reverse). */
  readonly block_out_channels: readonly number[];
  /** The decoder's up blocks have `layers_per_block + 1` resnets. */
  readonly layers_per_block: number;
  /** GroupNorm groups. */
  readonly norm_num_groups: number;
  /** Resnet activation. */
  readonly act_fn: ActivationName;
  /** Self-attention in the mid block (default `true`). */
  readonly mid_block_add_attention?: boolean;
}

/**
 * diffusers' VAE `Decoder`: `conv_in` to the deepest level's channels, the mid block with
 * self-attention, one `UpDecoderBlock2D` per level from the deepest up (each with
 * `layers_per_block + 1` resnets, nearest x2 + conv on all but the last), then
 * `conv_norm_out` (GroupNorm, eps 1e-6), SiLU and `conv_out`. `up_blocks` is declared before
 * `mid_block`, as in diffusers, so parameters come in PyTorch's order.
 */
export class Decoder extends Module {
  /** `Conv2d(in_channels, block_out_channels[-1], 3, padding 1)`. */
  readonly conv_in: Conv2d;
  /** One block per level, deepest first. */
  readonly up_blocks: ModuleList<UpDecoderBlock2D>;
  /** Resnet, attention, resnet at the lowest resolution. */
  readonly mid_block: UNetMidBlock2D;
  /** GroupNorm over `block_out_channels[0]`. */
  readonly conv_norm_out: GroupNorm;
  /** `Conv2d(block_out_channels[0], out_channels, 3, padding 1)`. */
  readonly conv_out: Conv2d;

  constructor(o: DecoderOptions) {
    super();
    const reversed = [...o.block_out_channels].reverse();
    const deepest = reversed[0]!;
    const first = o.block_out_channels[0]!;
    const common = { resnet_groups: o.norm_num_groups, resnet_act_fn: o.act_fn, resnet_eps: 1e-6 };
    this.conv_in = new Conv2d(o.in_channels, deepest, 3, { padding: 1 });
    this.up_blocks = new ModuleList(
      reversed.map(
        (out, i) =>
          new UpDecoderBlock2D({
            ...common,
            in_channels: i === 0 ? deepest : reversed[i - 1]!,
            out_channels: out,
            num_layers: o.layers_per_block + 1,
            add_upsample: i < reversed.length - 1,
          }),
      ),
    );
    this.mid_block = new UNetMidBlock2D({
      ...common,
      in_channels: deepest,
      temb_channels: null,
      attention_head_dim: deepest,
      add_attention: o.mid_block_add_attention ?? true,
    });
    this.conv_norm_out = new GroupNorm(o.norm_num_groups, first, { eps: 1e-6 });
    this.conv_out = new Conv2d(first, o.out_channels, 3, { padding: 1 });
  }

  /**
   * @param z NHWC latent `[N, h, w, in_channels]` (after `post_quant_conv`), float32.
   * @returns NHWC image `[N, h*f, w*f, out_channels]`, `f = 2^(levels - 1)`, nominally in
   *   `[-1, 1]` (not clamped); a new tensor.
   */
  forward(z: tf.Tensor4D): tf.Tensor4D {
    let h = this.conv_in.forward(z);
    for (const block of [this.mid_block, ...this.up_blocks]) {
      const next = block.forward(h);
      h.dispose();
      h = next;
    }
    const out = tf.tidy(() => this.conv_out.forward(silu(this.conv_norm_out.forward(h)) as tf.Tensor4D));
    h.dispose();
    return out;
  }
}
