import * as tf from '@tensorflow/tfjs-core';
import { Downsample2D, Module, ModuleList } from '@yonos/core/nn';
import type { ResnetBlock2D } from '@yonos/core/nn';
import { Transformer2DModel } from '../transformer-2d.js';
import { makeResnet } from './resnet.js';
import type { CrossAttentionSettings, DownBlockOutput, ResnetSettings, UNetDownBlock } from './types.js';

/** Options of {@link CrossAttnDownBlock2D}, with diffusers' argument names. */
export interface CrossAttnDownBlock2DOptions {
  /** Input channels. */
  readonly in_channels: number;
  /** Output channels. */
  readonly out_channels: number;
  /** ResNet + transformer pairs (default 1). */
  readonly num_layers?: number;
  /** End with a stride-2 3x3 conv (default `true`). */
  readonly add_downsample?: boolean;
  /** Padding of that conv (default 1). */
  readonly downsample_padding?: number;
  /** Shared ResNet settings. */
  readonly resnet: ResnetSettings;
  /** Transformer settings. */
  readonly attention: CrossAttentionSettings;
}

/**
 * diffusers' `CrossAttnDownBlock2D`: `num_layers` x (ResNet, `Transformer2DModel`), then an
 * optional stride-2 conv. Heads `num_attention_heads`, head width `out_channels / heads`.
 */
export class CrossAttnDownBlock2D extends Module implements UNetDownBlock {
  /** Uses the context. */
  readonly has_cross_attention = true;
  /** One transformer per ResNet. */
  readonly attentions: ModuleList<Transformer2DModel>;
  /** `num_layers` ResNets, the first `in -> out`. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** `[Downsample2D]`, or `null`. */
  readonly downsamplers: ModuleList<Downsample2D> | null;

  constructor(options: CrossAttnDownBlock2DOptions) {
    super();
    const o = options;
    const a = o.attention;
    const resnets: ResnetBlock2D[] = [];
    const attentions: Transformer2DModel[] = [];
    for (let i = 0; i < (o.num_layers ?? 1); i++) {
      resnets.push(makeResnet(o.resnet, i === 0 ? o.in_channels : o.out_channels, o.out_channels));
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
    // diffusers registers attentions before resnets; the order only affects parameter listing.
    this.attentions = new ModuleList(attentions);
    this.resnets = new ModuleList(resnets);
    this.downsamplers =
      (o.add_downsample ?? true)
        ? new ModuleList([
            new Downsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels, padding: o.downsample_padding ?? 1 }),
          ])
        : null;
  }

  /** See {@link UNetDownBlock.forward}. */
  forward(x: tf.Tensor4D, temb: tf.Tensor2D, context?: tf.Tensor3D): DownBlockOutput {
    return tf.tidy(() => {
      const residuals: tf.Tensor4D[] = [];
      let h = x;
      for (let i = 0; i < this.resnets.length; i++) {
        h = this.resnets[i]!.forward(h, temb);
        h = this.attentions[i]!.forward(h, context);
        residuals.push(h);
      }
      if (this.downsamplers !== null) {
        for (const down of this.downsamplers) h = down.forward(h);
        residuals.push(h);
      }
      return { hidden: h, residuals };
    });
  }
}
