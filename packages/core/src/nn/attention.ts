import * as tf from '@tensorflow/tfjs-core';
import { multiHeadAttention } from './attention-math.js';
import { checkLastDim, checkPositiveInt, checkRank } from './check.js';
import { Dropout } from './dropout.js';
import { NnArgumentError } from './errors.js';
import { GroupNorm } from './group-norm.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { ModuleList } from './module-list.js';

/** Options of {@link Attention}, with diffusers' `Attention.__init__` argument names and defaults. */
export interface AttentionOptions {
  /** Channels of the queries (the input). */
  readonly query_dim: number;
  /** Channels of the context for cross-attention (default `query_dim`). */
  readonly cross_attention_dim?: number;
  /** Number of heads (default 8; ignored when `out_dim` is given: then `out_dim / dim_head`). */
  readonly heads?: number;
  /** Channels per head (default 64). */
  readonly dim_head?: number;
  /** Dropout after the output projection (default 0). */
  readonly dropout?: number;
  /** Bias in `to_q`, `to_k`, `to_v` (default `false`). */
  readonly bias?: boolean;
  /** Bias in `to_out.0` (default `true`). */
  readonly out_bias?: boolean;
  /** When set, a `group_norm` (GroupNorm over `query_dim`, affine) normalizes the input first (the VAE's attention). */
  readonly norm_num_groups?: number | null;
  /** Epsilon of `group_norm` (default `1e-5`). */
  readonly eps?: number;
  /** Divide the output by this (default 1). */
  readonly rescale_output_factor?: number;
  /** Add the input to the output (before the rescale) (default `false`). */
  readonly residual_connection?: boolean;
  /** Scale scores by `1 / sqrt(dim_head)` (default `true`). */
  readonly scale_qk?: boolean;
  /** Normalize the cross-attention context with `norm_cross` (default none). */
  readonly cross_attention_norm?: 'layer_norm' | 'group_norm' | null;
  /** Groups of `norm_cross` when it is a group norm (default 32). */
  readonly cross_attention_norm_num_groups?: number;
  /** Output channels and inner width (default `query_dim` and `heads * dim_head`). */
  readonly out_dim?: number;
}

/**
 * diffusers' `Attention` with its default processor: multi-head scaled dot-product
 * self-attention, or cross-attention on a context. Parameter names: `group_norm`,
 * `norm_cross`, `to_q`, `to_k`, `to_v`, `to_out.0` (`to_out.1` is a dropout). Used by the
 * VAE mid block (`norm_num_groups`, `residual_connection`, bias) and by transformer blocks
 * (`attn1` self, `attn2` cross). The products run through {@link multiHeadAttention}
 * (per-head rank-2 matMuls, the layout tfjs-wasm runs at full speed).
 */
export class Attention extends Module {
  /** Query channels. */
  readonly query_dim: number;
  /** Context channels. */
  readonly cross_attention_dim: number;
  /** Number of heads. */
  readonly heads: number;
  /** Width of q, k, v (`heads * dim_head` unless `out_dim`). */
  readonly inner_dim: number;
  /** Output channels. */
  readonly out_dim: number;
  /** Score scale: `dim_head ** -0.5`, or 1 without `scale_qk`. */
  readonly scale: number;
  /** Output divisor. */
  readonly rescale_output_factor: number;
  /** Whether the input is added to the output. */
  readonly residual_connection: boolean;
  /** Input GroupNorm, or `null`. */
  readonly group_norm: GroupNorm | null;
  /** Context norm, or `null`. */
  readonly norm_cross: LayerNorm | GroupNorm | null;
  /** `Linear(query_dim, inner_dim)`. */
  readonly to_q: Linear;
  /** `Linear(cross_attention_dim, inner_dim)`. */
  readonly to_k: Linear;
  /** `Linear(cross_attention_dim, inner_dim)`. */
  readonly to_v: Linear;
  /** `[Linear(inner_dim, out_dim), Dropout]`. */
  readonly to_out: ModuleList<Module>;
  readonly #outProj: Linear;
  readonly #outDropout: Dropout;

  /** @throws {@link NnArgumentError} for non-positive sizes, an unknown `cross_attention_norm`, or a residual connection with `out_dim != query_dim`. */
  constructor(options: AttentionOptions) {
    super();
    const o = options;
    const where = 'Attention';
    checkPositiveInt(where, 'query_dim', o.query_dim);
    const dimHead = o.dim_head ?? 64;
    checkPositiveInt(where, 'dim_head', dimHead);
    this.query_dim = o.query_dim;
    this.cross_attention_dim = o.cross_attention_dim ?? o.query_dim;
    this.inner_dim = o.out_dim ?? dimHead * (o.heads ?? 8);
    this.out_dim = o.out_dim ?? o.query_dim;
    this.heads = o.out_dim !== undefined ? o.out_dim / dimHead : (o.heads ?? 8);
    checkPositiveInt(where, 'heads (out_dim / dim_head when out_dim is given)', this.heads);
    this.scale = (o.scale_qk ?? true) ? dimHead ** -0.5 : 1;
    this.rescale_output_factor = o.rescale_output_factor ?? 1;
    this.residual_connection = o.residual_connection ?? false;
    if (this.residual_connection && this.out_dim !== this.query_dim) {
      throw new NnArgumentError(`${where}: residual_connection needs out_dim (${this.out_dim}) = query_dim (${this.query_dim}).`);
    }

    this.group_norm =
      o.norm_num_groups == null ? null : new GroupNorm(o.norm_num_groups, o.query_dim, { eps: o.eps ?? 1e-5 });
    if (o.cross_attention_norm == null) {
      this.norm_cross = null;
    } else if (o.cross_attention_norm === 'layer_norm') {
      this.norm_cross = new LayerNorm(this.cross_attention_dim);
    } else if (o.cross_attention_norm === 'group_norm') {
      this.norm_cross = new GroupNorm(o.cross_attention_norm_num_groups ?? 32, this.cross_attention_dim, { eps: 1e-5 });
    } else {
      throw new NnArgumentError(
        `${where}: unknown cross_attention_norm '${String(o.cross_attention_norm)}': use 'layer_norm', 'group_norm' or null.`,
      );
    }
    const bias = o.bias ?? false;
    this.to_q = new Linear(o.query_dim, this.inner_dim, { bias });
    this.to_k = new Linear(this.cross_attention_dim, this.inner_dim, { bias });
    this.to_v = new Linear(this.cross_attention_dim, this.inner_dim, { bias });
    this.#outProj = new Linear(this.inner_dim, this.out_dim, { bias: o.out_bias ?? true });
    this.#outDropout = new Dropout(o.dropout ?? 0);
    this.to_out = new ModuleList<Module>([this.#outProj, this.#outDropout]);
  }

  /**
   * @param hiddenStates Queries: `[N, L, query_dim]`, or an NHWC image `[N, H, W, query_dim]`
   *   (flattened to `L = H * W` positions, row-major), float32.
   * @param encoderHiddenStates Context for cross-attention, `[N, S, cross_attention_dim]`;
   *   omitted for self-attention (the context is then the, possibly group-normed, input).
   * @returns Same rank as `hiddenStates`, last dimension `out_dim`; a new tensor.
   */
  forward(hiddenStates: tf.Tensor, encoderHiddenStates?: tf.Tensor): tf.Tensor {
    checkRank('Attention', hiddenStates, [3, 4], '[N, L, C] or NHWC');
    checkLastDim('Attention', hiddenStates, this.query_dim);
    if (encoderHiddenStates !== undefined) {
      checkRank('Attention context', encoderHiddenStates, [3], '[N, S, C]');
      checkLastDim('Attention context', encoderHiddenStates, this.cross_attention_dim);
    }
    return tf.tidy(() => {
      const shape = hiddenStates.shape;
      const n = shape[0]!;
      let h = hiddenStates.rank === 4 ? tf.reshape(hiddenStates, [n, -1, this.query_dim]) : hiddenStates;
      if (this.group_norm !== null) h = this.group_norm.forward(h);

      let context = h;
      if (encoderHiddenStates !== undefined) {
        context = this.norm_cross !== null ? this.norm_cross.forward(encoderHiddenStates) : encoderHiddenStates;
      }
      // The scale goes on q ([L, d]) rather than on the scores ([L, S]): fewer multiplications.
      const q = tf.mul(this.to_q.forward(h), this.scale) as tf.Tensor3D;
      const k = this.to_k.forward(context) as tf.Tensor3D;
      const v = this.to_v.forward(context) as tf.Tensor3D;
      let out: tf.Tensor = multiHeadAttention(q, k, v, this.heads);

      out = this.#outDropout.forward(this.#outProj.forward(out));
      if (hiddenStates.rank === 4) out = tf.reshape(out, [n, shape[1]!, shape[2]!, this.out_dim]);
      if (this.residual_connection) out = tf.add(out, hiddenStates);
      if (this.rescale_output_factor !== 1) out = tf.div(out, this.rescale_output_factor);
      return out;
    });
  }
}
