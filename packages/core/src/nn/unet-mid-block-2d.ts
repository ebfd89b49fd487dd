import type * as tf from '@tensorflow/tfjs-core';
import type { ActivationName } from './activations.js';
import { Attention } from './attention.js';
import { NnArgumentError } from './errors.js';
import { Module } from './module.js';
import { ModuleList } from './module-list.js';
import { ResnetBlock2D } from './resnet.js';

/** Options of {@link UNetMidBlock2D}, with diffusers' `UNetMidBlock2D.__init__` argument names and defaults. */
export interface UNetMidBlock2DOptions {
  /** Channels of the NHWC input, kept through the block (input and output shapes are equal). */
  readonly in_channels: number;
  /** Width of the time embedding the resnets receive, or `null` for none (the VAE). */
  readonly temb_channels: number | null;
  /** Dropout before each resnet's `conv2` (default 0). */
  readonly dropout?: number;
  /** (attention, resnet) pairs after the first resnet (default 1; `UNet2DConditionModel` uses 0). */
  readonly num_layers?: number;
  /** Epsilon of every norm, the attentions' included (default `1e-6`). */
  readonly resnet_eps?: number;
  /** How the resnets take the time embedding: `'default'` (added) or `'scale_shift'` (default `'default'`). */
  readonly resnet_time_scale_shift?: 'default' | 'scale_shift';
  /** Activation of the resnets (default `'swish'`). */
  readonly resnet_act_fn?: ActivationName;
  /** GroupNorm groups of the resnets (default 32). */
  readonly resnet_groups?: number;
  /**
   * Groups of each attention's `group_norm`, or `null` for no norm. Default as diffusers:
   * `resnet_groups` with the `'default'` time scale-shift, else `null`.
   */
  readonly attn_groups?: number | null;
  /** Whether the pairs have their self-attention (default `true`). */
  readonly add_attention?: boolean;
  /** Channels per attention head (default 1); heads are `floor(in_channels / attention_head_dim)`. */
  readonly attention_head_dim?: number;
  /** Divisor of every resnet's and attention's output (default 1). */
  readonly output_scale_factor?: number;
}

/**
 * diffusers' `UNetMidBlock2D`, the one mid block of the VAE's `Encoder` and `Decoder`, of
 * `UNet2DModel` and (without pairs) of `UNet2DConditionModel`: `resnets.0`, then per layer a
 * spatial self-attention `attentions.{i}` (GroupNorm, biased projections, residual connection,
 * output divided by `output_scale_factor`) and `resnets.{i+1}`. Channels are unchanged.
 * Attentions are declared first, so parameters come in PyTorch's order.
 *
 * `forward` frees each intermediate as soon as the next one exists, so the block holds at most
 * its input, one intermediate and the step running on it; inside a gradient tape tfjs keeps
 * what backpropagation needs regardless.
 */
export class UNetMidBlock2D extends Module {
  /** The self-attentions (empty without `add_attention`). */
  readonly attentions: ModuleList<Attention>;
  /** `num_layers + 1` resnets. */
  readonly resnets: ModuleList<ResnetBlock2D>;

  /** @throws {@link NnArgumentError} when `attention_head_dim` exceeds `in_channels` (no head would be left), or as {@link ResnetBlock2D} and {@link Attention} do. */
  constructor(o: UNetMidBlock2DOptions) {
    super();
    const c = o.in_channels;
    const layers = o.num_layers ?? 1;
    const eps = o.resnet_eps ?? 1e-6;
    const groups = o.resnet_groups ?? 32;
    const shift = o.resnet_time_scale_shift ?? 'default';
    const scale = o.output_scale_factor ?? 1;
    const resnet = (): ResnetBlock2D =>
      new ResnetBlock2D({
        in_channels: c,
        out_channels: c,
        temb_channels: o.temb_channels,
        eps,
        groups,
        dropout: o.dropout ?? 0,
        time_embedding_norm: shift,
        non_linearity: o.resnet_act_fn ?? 'swish',
        output_scale_factor: scale,
      });
    const attentions: Attention[] = [];
    if (o.add_attention ?? true) {
      const headDim = o.attention_head_dim ?? 1;
      const heads = Math.floor(c / headDim);
      if (heads < 1) {
        throw new NnArgumentError(
          `UNetMidBlock2D: attention_head_dim (${headDim}) is larger than in_channels (${c}); use at most ${c}.`,
        );
      }
      const attnGroups = o.attn_groups !== undefined ? o.attn_groups : shift === 'default' ? groups : null;
      for (let i = 0; i < layers; i++) {
        attentions.push(
          new Attention({
            query_dim: c,
            heads,
            dim_head: headDim,
            rescale_output_factor: scale,
            eps,
            norm_num_groups: attnGroups,
            residual_connection: true,
            bias: true,
          }),
        );
      }
    }
    this.attentions = new ModuleList(attentions);
    this.resnets = new ModuleList(Array.from({ length: layers + 1 }, resnet));
  }

  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32; not disposed.
   * @param temb Time embedding `[N, temb_channels]` for resnets with a `time_emb_proj`;
   *   omitted or `null` without one (the VAE).
   * @returns NHWC `[N, H, W, in_channels]`; a new tensor.
   */
  forward(x: tf.Tensor4D, temb?: tf.Tensor2D | null): tf.Tensor4D {
    let h = this.resnets[0]!.forward(x, temb);
    for (let i = 1; i < this.resnets.length; i++) {
      const attention = this.attentions.get(i - 1);
      if (attention !== undefined) h = replace(h, attention.forward(h) as tf.Tensor4D);
      h = replace(h, this.resnets[i]!.forward(h, temb));
    }
    return h;
  }
}

/** Frees `previous` (an intermediate of the block, never its input) once `next` exists. */
function replace(previous: tf.Tensor4D, next: tf.Tensor4D): tf.Tensor4D {
  previous.dispose();
  return next;
}
