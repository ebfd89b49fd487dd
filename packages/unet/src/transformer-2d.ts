import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, GroupNorm, Linear, Module, ModuleList } from '@yonos/core/nn';
import { BasicTransformerBlock } from './basic-transformer-block.js';
import { UnetInputError } from './errors.js';

/** Options of {@link Transformer2DModel}, with diffusers' argument names (continuous-input form). */
export interface Transformer2DOptions {
  /** Attention heads. */
  readonly num_attention_heads: number;
  /** Channels per head; the transformer width is `num_attention_heads * attention_head_dim`. */
  readonly attention_head_dim: number;
  /** Channels of the image. */
  readonly in_channels: number;
  /** Transformer blocks (default 1). */
  readonly num_layers?: number;
  /** Dropout inside the blocks (default 0). */
  readonly dropout?: number;
  /** Groups of the input GroupNorm (default 32). */
  readonly norm_num_groups?: number;
  /** Context width of the cross-attention, or `null` for none. */
  readonly cross_attention_dim?: number | null;
  /** Bias in the blocks' q/k/v projections (default `false`). */
  readonly attention_bias?: boolean;
  /** `proj_in`/`proj_out` are `Linear` (SD 2.x) instead of 1x1 `Conv2d` (SD 1.x) (default `false`). */
  readonly use_linear_projection?: boolean;
  /** `attn1` attends to the context (default `false`). */
  readonly only_cross_attention?: boolean;
  /** No numerical effect in float32; kept for fidelity (default `false`). */
  readonly upcast_attention?: boolean;
  /** LayerNorm epsilon of the blocks (default `1e-5`). */
  readonly norm_eps?: number;
}

/**
 * diffusers' `Transformer2DModel` for continuous (image) input: `GroupNorm` (eps `1e-6`) ->
 * `proj_in` -> tokens `[N, H*W, inner]` -> `BasicTransformerBlock`s -> `proj_out` -> plus the
 * input. NHWC makes the token layout a plain reshape (PyTorch needs two permutes).
 * Parameters `norm`, `proj_in`, `transformer_blocks.*`, `proj_out`.
 */
export class Transformer2DModel extends Module {
  /** Image channels. */
  readonly in_channels: number;
  /** Transformer width `num_attention_heads * attention_head_dim`. */
  readonly inner_dim: number;
  /** Whether the projections are linear layers. */
  readonly use_linear_projection: boolean;
  /** `GroupNorm(norm_num_groups, in_channels, eps 1e-6)`. */
  readonly norm: GroupNorm;
  /** `in_channels -> inner_dim`: `Linear`, or a 1x1 `Conv2d`. */
  readonly proj_in: Linear | Conv2d;
  /** The transformer blocks. */
  readonly transformer_blocks: ModuleList<BasicTransformerBlock>;
  /** `inner_dim -> in_channels`: `Linear`, or a 1x1 `Conv2d`. */
  readonly proj_out: Linear | Conv2d;

  constructor(options: Transformer2DOptions) {
    super();
    const o = options;
    this.in_channels = o.in_channels;
    this.inner_dim = o.num_attention_heads * o.attention_head_dim;
    this.use_linear_projection = o.use_linear_projection ?? false;
    this.norm = new GroupNorm(o.norm_num_groups ?? 32, o.in_channels, { eps: 1e-6 });
    this.proj_in = this.use_linear_projection
      ? new Linear(o.in_channels, this.inner_dim)
      : new Conv2d(o.in_channels, this.inner_dim, 1);
    const blocks: BasicTransformerBlock[] = [];
    for (let i = 0; i < (o.num_layers ?? 1); i++) {
      blocks.push(
        new BasicTransformerBlock({
          dim: this.inner_dim,
          num_attention_heads: o.num_attention_heads,
          attention_head_dim: o.attention_head_dim,
          cross_attention_dim: o.cross_attention_dim ?? null,
          dropout: o.dropout ?? 0,
          attention_bias: o.attention_bias ?? false,
          only_cross_attention: o.only_cross_attention ?? false,
          upcast_attention: o.upcast_attention ?? false,
          norm_eps: o.norm_eps ?? 1e-5,
        }),
      );
    }
    this.transformer_blocks = new ModuleList(blocks);
    this.proj_out = this.use_linear_projection
      ? new Linear(this.inner_dim, o.in_channels)
      : new Conv2d(this.inner_dim, o.in_channels, 1);
  }

  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @param context Cross-attention context `[N, S, cross_attention_dim]`.
   * @returns NHWC `[N, H, W, in_channels]`; a new tensor.
   * @throws UnetInputError if `x` is not NHWC with `in_channels` channels.
   */
  forward(x: tf.Tensor4D, context?: tf.Tensor3D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.in_channels) {
      throw new UnetInputError(
        `Transformer2DModel expects NHWC [N, H, W, ${this.in_channels}], got [${x.shape.join(', ')}]; transpose NCHW tensors first.`,
      );
    }
    return tf.tidy(() => {
      const [n, h, w] = x.shape;
      const normed = this.norm.forward(x) as tf.Tensor4D;
      let tokens: tf.Tensor3D;
      if (this.proj_in instanceof Linear) {
        tokens = this.proj_in.forward(tf.reshape(normed, [n, h * w, this.in_channels])) as tf.Tensor3D;
      } else {
        tokens = tf.reshape(this.proj_in.forward(normed), [n, h * w, this.inner_dim]);
      }
      for (const block of this.transformer_blocks) tokens = block.forward(tokens, context);
      let out: tf.Tensor4D;
      if (this.proj_out instanceof Linear) {
        out = tf.reshape(this.proj_out.forward(tokens), [n, h, w, this.in_channels]);
      } else {
        out = this.proj_out.forward(tf.reshape(tokens, [n, h, w, this.inner_dim]));
      }
      return tf.add(out, x);
    });
  }
}
