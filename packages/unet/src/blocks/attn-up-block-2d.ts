import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, Upsample2D } from '@yonos/core/nn';
import type { Attention, ResnetBlock2D } from '@yonos/core/nn';
import { makeResnet } from './resnet.js';
import { makeSpatialSelfAttention } from './self-attention.js';
import { concatSkip } from './skip.js';
import type { ResnetSettings, UNetUpBlock } from './types.js';
import { upResnetChannels } from './up-block-2d.js';

/** Options of {@link AttnUpBlock2D}, with diffusers' argument names. */
export interface AttnUpBlock2DOptions {
  /** Skip width of the last ResNet. */
  readonly in_channels: number;
  /** Channels coming from the deeper block. */
  readonly prev_output_channel: number;
  /** Output channels. */
  readonly out_channels: number;
  /** ResNet + attention pairs (default 1). */
  readonly num_layers?: number;
  /** Channels per attention head (default 1). */
  readonly attention_head_dim?: number;
  /** `'conv'` (nearest x2 + conv), `'resnet'` (a ResNet with nearest x2) or `null` (none). Default `'conv'`. */
  readonly upsample_type?: 'conv' | 'resnet' | null;
  /** Shared ResNet settings (their groups and epsilon also serve the attentions). */
  readonly resnet: ResnetSettings;
}

/**
 * diffusers' `AttnUpBlock2D`: `num_layers` x (ResNet on `[x, skip]`, spatial self-attention),
 * then an optional upsampler. As in diffusers, its upsampler always doubles the size (it
 * ignores an explicit output size).
 */
export class AttnUpBlock2D extends Module implements UNetUpBlock {
  /** Never uses a context. */
  readonly has_cross_attention = false;
  /** `'conv'`, `'resnet'` or `null`. */
  readonly upsample_type: 'conv' | 'resnet' | null;
  /** `num_layers` ResNets. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** One self-attention per ResNet. */
  readonly attentions: ModuleList<Attention>;
  /** `[Upsample2D(conv)]` or `[ResnetBlock2D(up)]`, or `null`. */
  readonly upsamplers: ModuleList<Upsample2D | ResnetBlock2D> | null;

  constructor(options: AttnUpBlock2DOptions) {
    super();
    const o = options;
    const s = o.resnet;
    const n = o.num_layers ?? 1;
    this.upsample_type = o.upsample_type === undefined ? 'conv' : o.upsample_type;
    const resnets: ResnetBlock2D[] = [];
    const attentions: Attention[] = [];
    for (let i = 0; i < n; i++) {
      resnets.push(makeResnet(s, upResnetChannels(o, i, n), o.out_channels));
      attentions.push(
        makeSpatialSelfAttention(o.out_channels, o.attention_head_dim ?? 1, s.groups, s.eps, s.output_scale_factor ?? 1),
      );
    }
    this.resnets = new ModuleList(resnets);
    this.attentions = new ModuleList(attentions);
    if (this.upsample_type === 'conv') {
      this.upsamplers = new ModuleList<Upsample2D | ResnetBlock2D>([
        new Upsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels }),
      ]);
    } else if (this.upsample_type === 'resnet') {
      this.upsamplers = new ModuleList<Upsample2D | ResnetBlock2D>([makeResnet(s, o.out_channels, o.out_channels, { up: true })]);
    } else {
      this.upsamplers = null;
    }
  }

  /** See {@link UNetUpBlock.forward}; `context` and `upsampleSize` are ignored (as in diffusers). */
  forward(x: tf.Tensor4D, skips: readonly tf.Tensor4D[], temb: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      let k = skips.length;
      for (let i = 0; i < this.resnets.length; i++) {
        h = this.resnets[i]!.forward(concatSkip(h, skips[--k], 'AttnUpBlock2D'), temb);
        h = this.attentions[i]!.forward(h) as tf.Tensor4D;
      }
      if (this.upsamplers !== null) {
        for (const up of this.upsamplers) h = up instanceof Upsample2D ? up.forward(h) : up.forward(h, temb);
      }
      return h;
    });
  }
}
