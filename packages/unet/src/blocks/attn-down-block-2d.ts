import * as tf from '@tensorflow/tfjs-core';
import { Downsample2D, Module, ModuleList } from '@yonos/core/nn';
import type { Attention, ResnetBlock2D } from '@yonos/core/nn';
import { makeResnet } from './resnet.js';
import { makeSpatialSelfAttention } from './self-attention.js';
import type { DownBlockOutput, ResnetSettings, UNetDownBlock } from './types.js';

/** Options of {@link AttnDownBlock2D}, with diffusers' argument names. */
export interface AttnDownBlock2DOptions {
  /** Input channels. */
  readonly in_channels: number;
  /** Output channels. */
  readonly out_channels: number;
  /** ResNet + attention pairs (default 1). */
  readonly num_layers?: number;
  /** Channels per attention head (default 1). */
  readonly attention_head_dim?: number;
  /** `'conv'` (stride-2 conv), `'resnet'` (a ResNet with average pooling) or `null` (none). Default `'conv'`. */
  readonly downsample_type?: 'conv' | 'resnet' | null;
  /** Padding of the downsampling conv (default 1). */
  readonly downsample_padding?: number;
  /** Shared ResNet settings (their groups and epsilon also serve the attentions). */
  readonly resnet: ResnetSettings;
}

/**
 * diffusers' `AttnDownBlock2D`: `num_layers` x (ResNet, spatial self-attention), then an
 * optional downsampler. Parameters `resnets.*`, `attentions.*` (`group_norm`, `to_q`, `to_k`,
 * `to_v`, `to_out.0`), `downsamplers.0`.
 */
export class AttnDownBlock2D extends Module implements UNetDownBlock {
  /** Never uses a context. */
  readonly has_cross_attention = false;
  /** `'conv'`, `'resnet'` or `null`. */
  readonly downsample_type: 'conv' | 'resnet' | null;
  /** `num_layers` ResNets. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** One self-attention per ResNet. */
  readonly attentions: ModuleList<Attention>;
  /** `[Downsample2D]` or `[ResnetBlock2D(down)]`, or `null`. */
  readonly downsamplers: ModuleList<Downsample2D | ResnetBlock2D> | null;

  constructor(options: AttnDownBlock2DOptions) {
    super();
    const o = options;
    const s = o.resnet;
    this.downsample_type = o.downsample_type === undefined ? 'conv' : o.downsample_type;
    const resnets: ResnetBlock2D[] = [];
    const attentions: Attention[] = [];
    for (let i = 0; i < (o.num_layers ?? 1); i++) {
      resnets.push(makeResnet(s, i === 0 ? o.in_channels : o.out_channels, o.out_channels));
      attentions.push(
        makeSpatialSelfAttention(o.out_channels, o.attention_head_dim ?? 1, s.groups, s.eps, s.output_scale_factor ?? 1),
      );
    }
    this.resnets = new ModuleList(resnets);
    this.attentions = new ModuleList(attentions);
    if (this.downsample_type === 'conv') {
      this.downsamplers = new ModuleList<Downsample2D | ResnetBlock2D>([
        new Downsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels, padding: o.downsample_padding ?? 1 }),
      ]);
    } else if (this.downsample_type === 'resnet') {
      this.downsamplers = new ModuleList<Downsample2D | ResnetBlock2D>([
        makeResnet(s, o.out_channels, o.out_channels, { down: true }),
      ]);
    } else {
      this.downsamplers = null;
    }
  }

  /** See {@link UNetDownBlock.forward}; `context` is ignored. */
  forward(x: tf.Tensor4D, temb: tf.Tensor2D): DownBlockOutput {
    return tf.tidy(() => {
      const residuals: tf.Tensor4D[] = [];
      let h = x;
      for (let i = 0; i < this.resnets.length; i++) {
        h = this.resnets[i]!.forward(h, temb);
        h = this.attentions[i]!.forward(h) as tf.Tensor4D;
        residuals.push(h);
      }
      if (this.downsamplers !== null) {
        for (const down of this.downsamplers) h = down instanceof Downsample2D ? down.forward(h) : down.forward(h, temb);
        residuals.push(h);
      }
      return { hidden: h, residuals };
    });
  }
}
