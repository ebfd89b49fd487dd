import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList } from '@yonos/core';
import type { Attention, ResnetBlock2D } from '@yonos/core';
import { makeResnet } from './resnet.js';
import { makeSpatialSelfAttention } from './self-attention.js';
import type { ResnetSettings, UNetMidBlock } from './types.js';

/** Options of {@link UNetMidBlock2D}, with diffusers' argument names. */
export interface UNetMidBlock2DOptions {
  /** Channels (in = out). */
  readonly in_channels: number;
  /** (attention, ResNet) pairs after the first ResNet (default 1). */
  readonly num_layers?: number;
  /** Whether the pairs have their self-attention (default `true`). */
  readonly add_attention?: boolean;
  /** Channels per attention head (default 1). */
  readonly attention_head_dim?: number;
  /** Groups of the attention's GroupNorm, or `null` for none (default: the ResNets' groups). */
  readonly attn_groups?: number | null;
  /** Shared ResNet settings; `output_scale_factor` also divides the attention output. */
  readonly resnet: ResnetSettings;
}

/**
 * diffusers' `UNetMidBlock2D`: ResNet, then `num_layers` x (optional spatial self-attention,
 * ResNet). `UNet2DModel`'s mid block; `UNet2DConditionModel` uses it without pairs.
 */
export class UNetMidBlock2D extends Module implements UNetMidBlock {
  /** Never uses a context. */
  readonly has_cross_attention = false;
  /** Self-attentions (empty without `add_attention`). */
  readonly attentions: ModuleList<Attention>;
  /** `num_layers + 1` ResNets. */
  readonly resnets: ModuleList<ResnetBlock2D>;

  constructor(options: UNetMidBlock2DOptions) {
    super();
    const o = options;
    const s = o.resnet;
    const c = o.in_channels;
    const addAttention = o.add_attention ?? true;
    const resnets: ResnetBlock2D[] = [makeResnet(s, c, c)];
    const attentions: Attention[] = [];
    for (let i = 0; i < (o.num_layers ?? 1); i++) {
      if (addAttention) {
        const groups = o.attn_groups === undefined ? s.groups : o.attn_groups;
        attentions.push(makeSpatialSelfAttention(c, o.attention_head_dim ?? 1, groups, s.eps, s.output_scale_factor ?? 1));
      }
      resnets.push(makeResnet(s, c, c));
    }
    this.attentions = new ModuleList(attentions);
    this.resnets = new ModuleList(resnets);
  }

  /** See {@link UNetMidBlock.forward}; `context` is ignored. */
  forward(x: tf.Tensor4D, temb: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.resnets[0]!.forward(x, temb);
      for (let i = 1; i < this.resnets.length; i++) {
        const attn = this.attentions.get(i - 1);
        if (attn !== undefined) h = attn.forward(h) as tf.Tensor4D;
        h = this.resnets[i]!.forward(h, temb);
      }
      return h;
    });
  }
}
