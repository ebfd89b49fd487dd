import * as tf from '@tensorflow/tfjs-core';
import { Attention, LayerNorm, Module } from '@yonos/core/nn';
import { FeedForward } from './feed-forward.js';

/** Options of {@link BasicTransformerBlock}, with diffusers' argument names (the subset Stable Diffusion uses). */
export interface BasicTransformerBlockOptions {
  /** Channels of the tokens. */
  readonly dim: number;
  /** Attention heads. */
  readonly num_attention_heads: number;
  /** Channels per head. */
  readonly attention_head_dim: number;
  /** Context width for cross-attention (`attn2`, and `attn1` with `only_cross_attention`); `null` for none. */
  readonly cross_attention_dim?: number | null;
  /** Dropout in the attentions' output and the feed-forward (default 0). */
  readonly dropout?: number;
  /** Bias in `to_q`/`to_k`/`to_v` (default `false`). */
  readonly attention_bias?: boolean;
  /** `attn1` attends to the context instead of the tokens (default `false`). */
  readonly only_cross_attention?: boolean;
  /** Only changes precision under mixed precision; kept for fidelity (default `false`). */
  readonly upcast_attention?: boolean;
  /** LayerNorm epsilon (default `1e-5`). */
  readonly norm_eps?: number;
}

/**
 * diffusers' `BasicTransformerBlock` with `norm_type: 'layer_norm'` and the GEGLU feed-forward,
 * pre-norm residual branches: `x += attn1(norm1(x))`, `x += attn2(norm2(x), context)`,
 * `x += ff(norm3(x))`. Parameters `norm1`, `attn1`, `norm2`, `attn2`, `norm3`, `ff`.
 */
export class BasicTransformerBlock extends Module {
  /** Whether `attn1` attends to the context. */
  readonly only_cross_attention: boolean;
  /** `LayerNorm(dim)` before `attn1`. */
  readonly norm1: LayerNorm;
  /** Self-attention (or cross-attention with `only_cross_attention`). */
  readonly attn1: Attention;
  /** `LayerNorm(dim)` before `attn2`, or `null` without cross-attention. */
  readonly norm2: LayerNorm | null;
  /** Cross-attention on the context, or `null`. */
  readonly attn2: Attention | null;
  /** `LayerNorm(dim)` before the feed-forward. */
  readonly norm3: LayerNorm;
  /** GEGLU feed-forward, inner width `4 * dim`. */
  readonly ff: FeedForward;

  constructor(options: BasicTransformerBlockOptions) {
    super();
    const o = options;
    const eps = o.norm_eps ?? 1e-5;
    const crossDim = o.cross_attention_dim ?? null;
    const common = {
      query_dim: o.dim,
      heads: o.num_attention_heads,
      dim_head: o.attention_head_dim,
      dropout: o.dropout ?? 0,
      bias: o.attention_bias ?? false,
    };
    this.only_cross_attention = o.only_cross_attention ?? false;
    this.norm1 = new LayerNorm(o.dim, { eps });
    this.attn1 = new Attention({
      ...common,
      ...(this.only_cross_attention && crossDim !== null ? { cross_attention_dim: crossDim } : {}),
    });
    if (crossDim !== null) {
      this.norm2 = new LayerNorm(o.dim, { eps });
      this.attn2 = new Attention({ ...common, cross_attention_dim: crossDim });
    } else {
      this.norm2 = null;
      this.attn2 = null;
    }
    this.norm3 = new LayerNorm(o.dim, { eps });
    this.ff = new FeedForward(o.dim, { dropout: o.dropout ?? 0 });
  }

  /**
   * @param x Tokens `[N, L, dim]`, float32.
   * @param context `[N, S, cross_attention_dim]`; without it `attn2` attends to the tokens
   *   (as in diffusers, which then needs `cross_attention_dim = dim`).
   * @returns `[N, L, dim]`; a new tensor.
   */
  forward(x: tf.Tensor3D, context?: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let h: tf.Tensor = x;
      h = tf.add(this.attn1.forward(this.norm1.forward(h), this.only_cross_attention ? context : undefined), h);
      if (this.attn2 !== null && this.norm2 !== null) {
        h = tf.add(this.attn2.forward(this.norm2.forward(h), context), h);
      }
      h = tf.add(this.ff.forward(this.norm3.forward(h)), h);
      return h as tf.Tensor3D;
    });
  }
}
