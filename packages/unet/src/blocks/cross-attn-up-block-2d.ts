import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, Upsample2D } from '@yonos/core/nn';
import type { ResnetBlock2D } from '@yonos/core/nn';
import { Transformer2DModel } from '../transformer-2d.js';
import { makeResnet } from './resnet.js';
import { concatSkip } from './skip.js';
import type { CrossAttentionSettings, ResnetSettings, UNetUpBlock } from './types.js';
import { upResnetChannels } from './up-block-2d.js';

/** Options of {@link CrossAttnUpBlock2D}, with diffusers' argument names. */
export interface CrossAttnUpBlock2DOptions {
  /** Skip width of the last ResNet. */
  readonly in_channels: number;
  /** Channels coming from the deeper block. */
  readonly prev_output_channel: number;
  /** Output channels. */
  readonly out_channels: number;
  /** ResNet + transformer pairs (default 1). */
  readonly num_layers?: number;
  /** End with nearest x2 + 3x3 conv (default `true`). */
  readonly add_upsample?: boolean;
  /** Shared ResNet settings. */
  readonly resnet: ResnetSettings;
  /** Transformer settings. */
  readonly attention: CrossAttentionSettings;
}

/** diffusers' `CrossAttnUpBlock2D`: `num_layers` x (ResNet on `[x, skip]`, `Transformer2DModel`), then an optional upsampler. */
export class CrossAttnUpBlock2D extends Module implements UNetUpBlock {
  /** Uses the context. */
  readonly has_cross_attention = true;
  /** One transformer per ResNet. */
  readonly attentions: ModuleList<Transformer2DModel>;
  /** `num_layers` ResNets. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** `[Upsample2D(conv)]`, or `null`. */
  readonly upsamplers: ModuleList<Upsample2D> | null;

  constructor(options: CrossAttnUpBlock2DOptions) {
    super();
    const o = options;
    const a = o.attention;
    const n = o.num_layers ?? 1;
    const resnets: ResnetBlock2D[] = [];
    const attentions: Transformer2DModel[] = [];
    for (let i = 0; i < n; i++) {
      resnets.push(makeResnet(o.resnet, upResnetChannels(o, i, n), o.out_channels));
      attentions.push(
        new Transformer2DModel({
          num_attention_heads: a.num_attention_heads,
          attention_head_dim: Math.floor(o.out_channels / a.num_attention_heads),
          in_channels: o.out_channels,
          num_layers: a.transformer_layers[i] ?? 1,
          cross_attention_dim: a.cross_attention_dim,
          norm_num_groups: o.resnet.groups,
          use_linear_projection: a.use_linear_projection,
          only_cross_attention: a.only_cross_attention,
          upcast_attention: a.upcast_attention,
        }),
      );
    }
    this.attentions = new ModuleList(attentions);
    this.resnets = new ModuleList(resnets);
    this.upsamplers =
      (o.add_upsample ?? true)
        ? new ModuleList([new Upsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels })])
        : null;
  }

  /** See {@link UNetUpBlock.forward}. */
  forward(
    x: tf.Tensor4D,
    skips: readonly tf.Tensor4D[],
    temb: tf.Tensor2D,
    context?: tf.Tensor3D,
    upsampleSize?: readonly [number, number],
  ): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      let k = skips.length;
      for (let i = 0; i < this.resnets.length; i++) {
        h = this.resnets[i]!.forward(concatSkip(h, skips[--k], 'CrossAttnUpBlock2D'), temb);
        h = this.attentions[i]!.forward(h, context);
      }
      if (this.upsamplers !== null) for (const up of this.upsamplers) h = up.forward(h, upsampleSize);
      return h;
    });
  }
}
