import type * as tf from '@tensorflow/tfjs-core';
import { Downsample2D, Module, ModuleList, ResnetBlock2D, Upsample2D } from '@yonos/core/nn';
import type { ActivationName } from '@yonos/core/nn';

/** Options shared by the VAE blocks, with diffusers' argument names. */
export interface VaeBlockOptions {
  /** GroupNorm groups of every norm in the block (`resnet_groups`). */
  readonly resnet_groups: number;
  /** Resnet activation (`resnet_act_fn`). */
  readonly resnet_act_fn: ActivationName;
  /** Epsilon of every norm (default `1e-6`, what the VAE passes). */
  readonly resnet_eps?: number;
}

function vaeResnet(inChannels: number, outChannels: number, o: VaeBlockOptions): ResnetBlock2D {
  return new ResnetBlock2D({
    in_channels: inChannels,
    out_channels: outChannels,
    temb_channels: null,
    groups: o.resnet_groups,
    eps: o.resnet_eps ?? 1e-6,
    non_linearity: o.resnet_act_fn,
    dropout: 0,
    output_scale_factor: 1,
  });
}

/** Options of {@link DownEncoderBlock2D}. */
export interface DownEncoderBlock2DOptions extends VaeBlockOptions {
  /** Channels of the NHWC input (the previous level's `out_channels`). */
  readonly in_channels: number;
  /** Channels of every resnet output and of the block's output. */
  readonly out_channels: number;
  /** Resnets in the block (`num_layers`). */
  readonly num_layers: number;
  /** End with a stride-2 conv (false for the last level). */
  readonly add_downsample: boolean;
  /** Padding of that conv; the VAE uses 0 (pad bottom/right by one, as diffusers). */
  readonly downsample_padding: number;
}

/**
 * diffusers' `DownEncoderBlock2D`: `num_layers` resnets without time embedding (the first
 * maps `in_channels -> out_channels`), then optionally `downsamplers.0`, a stride-2 3x3 conv.
 * Parameters `resnets.{i}.*`, `downsamplers.0.conv.*`.
 */
export class DownEncoderBlock2D extends Module {
  /** The resnets. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** `[Downsample2D]`, or empty for the last level. */
  readonly downsamplers: ModuleList<Downsample2D>;

  constructor(o: DownEncoderBlock2DOptions) {
    super();
    this.resnets = new ModuleList(
      Array.from({ length: o.num_layers }, (_, i) => vaeResnet(i === 0 ? o.in_channels : o.out_channels, o.out_channels, o)),
    );
    this.downsamplers = new ModuleList(
      o.add_downsample
        ? [new Downsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels, padding: o.downsample_padding })]
        : [],
    );
  }

  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @returns NHWC `[N, H', W', out_channels]`, `H' = floor(H / 2)` with a downsampler (padding 0: one zero row/column appended, then a valid stride-2 3x3 conv), else `H`.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return chain(x, [...this.resnets, ...this.downsamplers]);
  }
}

/** Options of {@link UpDecoderBlock2D}. */
export interface UpDecoderBlock2DOptions extends VaeBlockOptions {
  /** Channels of the NHWC input (the previous, deeper level's `out_channels`). */
  readonly in_channels: number;
  /** Channels of every resnet output and of the block's output. */
  readonly out_channels: number;
  /** Resnets in the block (`layers_per_block + 1` in the VAE decoder). */
  readonly num_layers: number;
  /** End with nearest x2 + 3x3 conv (false for the last level). */
  readonly add_upsample: boolean;
}

/**
 * diffusers' `UpDecoderBlock2D`: `num_layers` resnets without time embedding (the first
 * maps `in_channels -> out_channels`), then optionally `upsamplers.0`, nearest x2 and a 3x3
 * conv. Parameters `resnets.{i}.*`, `upsamplers.0.conv.*`.
 */
export class UpDecoderBlock2D extends Module {
  /** The resnets. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** `[Upsample2D]`, or empty for the last level. */
  readonly upsamplers: ModuleList<Upsample2D>;

  constructor(o: UpDecoderBlock2DOptions) {
    super();
    this.resnets = new ModuleList(
      Array.from({ length: o.num_layers }, (_, i) => vaeResnet(i === 0 ? o.in_channels : o.out_channels, o.out_channels, o)),
    );
    this.upsamplers = new ModuleList(
      o.add_upsample ? [new Upsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels })] : [],
    );
  }

  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @returns NHWC `[N, 2H, 2W, out_channels]` with an upsampler, else `[N, H, W, out_channels]`.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return chain(x, [...this.resnets, ...this.upsamplers]);
  }
}

/** Runs `x` through `layers` in order, freeing each intermediate as soon as the next exists. */
function chain(x: tf.Tensor4D, layers: ReadonlyArray<{ forward(x: tf.Tensor4D): tf.Tensor4D }>): tf.Tensor4D {
  let h = x;
  for (const layer of layers) {
    const next = layer.forward(h);
    // Disposing eagerly keeps peak memory at two activations; inside a gradient tape tfjs
    // keeps what backprop needs regardless.
    if (h !== x) h.dispose();
    h = next;
  }
  return h === x ? (x.clone() as tf.Tensor4D) : h;
}
