import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList } from '@yonos/core/nn';
import type { ResnetBlock2D } from '@yonos/core/nn';
import { Transformer2DModel } from '../transformer-2d.js';
import { makeResnet } from './resnet.js';
import type { CrossAttentionSettings, ResnetSettings, UNetMidBlock } from './types.js';

/** Options of {@link UNetMidBlock2DCrossAttn}, with diffusers' argument names. */
export interface UNetMidBlock2DCrossAttnOptions {
  /** Channels (in = out). */
  readonly in_channels: number;
  /** Transformer + ResNet pairs after the first ResNet (default 1). */
  readonly num_layers?: number;
  /** Shared ResNet settings; `output_scale_factor` is diffusers' `mid_block_scale_factor`. */
  readonly resnet: ResnetSettings;
  /** Transformer settings (`only_cross_attention` is ignored: diffusers' mid block never uses it). */
  readonly attention: CrossAttentionSettings;
}

/** diffusers' `UNetMidBlock2DCrossAttn`: ResNet, then `num_layers` x (`Transformer2DModel`, ResNet). */
export class UNetMidBlock2DCrossAttn extends Module implements UNetMidBlock {
  /** Uses the context. */
  readonly has_cross_attention = true;
  /** `num_layers` transformers. */
  readonly attentions: ModuleList<Transformer2DModel>;
  /** `num_layers + 1` ResNets. */
  readonly resnets: ModuleList<ResnetBlock2D>;

  constructor(options: UNetMidBlock2DCrossAttnOptions) {
    super();
    const o = options;
    const a = o.attention;
    const c = o.in_channels;
    const resnets: ResnetBlock2D[] = [makeResnet(o.resnet, c, c)];
    const attentions: Transformer2DModel[] = [];
    for (let i = 0; i < (o.num_layers ?? 1); i++) {
      attentions.push(
        new Transformer2DModel({
          num_attention_heads: a.num_attention_heads,
          attention_head_dim: Math.floor(c / a.num_attention_heads),
          in_channels: c,
          num_layers: a.transformer_layers[i] ?? 1,
          cross_attention_dim: a.cross_attention_dim,
          norm_num_groups: o.resnet.groups,
          use_linear_projection: a.use_linear_projection,
          upcast_attention: a.upcast_attention,
        }),
      );
      resnets.push(makeResnet(o.resnet, c, c));
    }
    this.attentions = new ModuleList(attentions);
    this.resnets = new ModuleList(resnets);
  }

  /** See {@link UNetMidBlock.forward}. */
  forward(x: tf.Tensor4D, temb: tf.Tensor2D, context?: tf.Tensor3D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.resnets[0]!.forward(x, temb);
      for (let i = 0; i < this.attentions.length; i++) {
        h = this.attentions[i]!.forward(h, context);
        h = this.resnets[i + 1]!.forward(h, temb);
      }
      return h;
    });
  }
}
