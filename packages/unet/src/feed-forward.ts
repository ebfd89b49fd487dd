import * as tf from '@tensorflow/tfjs-core';
import { Dropout, GEGLU, Linear, Module, ModuleList } from '@yonos/core/nn';

/**
 * diffusers' `FeedForward` with its default GEGLU activation, as `BasicTransformerBlock` uses
 * it: `net.0` = `GEGLU(dim, mult * dim)` (parameter `net.0.proj`, `[dim -> 2 * mult * dim]`),
 * `net.1` = dropout, `net.2` = `Linear(mult * dim, dim_out)`.
 */
export class FeedForward extends Module {
  /** `[GEGLU, Dropout, Linear]`, named `net.0`, `net.1`, `net.2` as in diffusers. */
  readonly net: ModuleList<Module>;
  readonly #geglu: GEGLU;
  readonly #dropout: Dropout;
  readonly #out: Linear;

  /**
   * @param dim Input channels.
   * @param options `dim_out` (default `dim`), `mult` (inner width `mult * dim`, default 4),
   *   `dropout` (default 0).
   */
  constructor(dim: number, options: { readonly dim_out?: number; readonly mult?: number; readonly dropout?: number } = {}) {
    super();
    const inner = Math.trunc(dim * (options.mult ?? 4));
    this.#geglu = new GEGLU(dim, inner);
    this.#dropout = new Dropout(options.dropout ?? 0);
    this.#out = new Linear(inner, options.dim_out ?? dim);
    this.net = new ModuleList<Module>([this.#geglu, this.#dropout, this.#out]);
  }

  /**
   * @param x `[N, L, dim]` (or any `[..., dim]`), float32.
   * @returns `[N, L, dim_out]`; a new tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.#out.forward(this.#dropout.forward(this.#geglu.forward(x))));
  }
}
