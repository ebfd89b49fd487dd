import * as tf from '@tensorflow/tfjs-core';
import { gelu } from './activations.js';
import type { GeluApproximation } from './activations.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** Options of {@link GELU}. */
export interface GELUOptions {
  /** `'none'` (exact erf, default) or `'tanh'`. */
  readonly approximate?: GeluApproximation;
  /** Bias in `proj` (default `true`). */
  readonly bias?: boolean;
}

/** diffusers' `GELU`: `gelu(proj(x))` with `proj = Linear(dim_in, dim_out)`. */
export class GELU extends Module {
  /** GELU variant. */
  readonly approximate: GeluApproximation;
  /** `Linear(dim_in, dim_out)`. */
  readonly proj: Linear;

  /** `dim_in -> dim_out`. */
  constructor(dim_in: number, dim_out: number, options: GELUOptions = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
    this.proj = new Linear(dim_in, dim_out, { bias: options.bias ?? true });
  }

  /** @param x `[..., dim_in]`, float32. @returns `[..., dim_out]`; a new tensor. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => gelu(this.proj.forward(x), this.approximate));
  }
}

/**
 * diffusers' `GEGLU`: `proj = Linear(dim_in, 2 * dim_out)`; the projection's first half is
 * the value and its second half the gate: `value * gelu(gate)` (exact GELU).
 */
export class GEGLU extends Module {
  /** `Linear(dim_in, 2 * dim_out)`. */
  readonly proj: Linear;

  /** `dim_in -> dim_out`; `options.bias` (default `true`) is the bias of `proj`. */
  constructor(dim_in: number, dim_out: number, options: { readonly bias?: boolean } = {}) {
    super();
    this.proj = new Linear(dim_in, 2 * dim_out, { bias: options.bias ?? true });
  }

  /** @param x `[..., dim_in]`, float32. @returns `[..., dim_out]`; a new tensor. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [value, gate] = tf.split(this.proj.forward(x), 2, -1);
      return tf.mul(value!, gelu(gate!));
    });
  }
}

/** diffusers' `ApproximateGELU`: `y * sigmoid(1.702 y)` with `y = proj(x)`, `proj = Linear(dim_in, dim_out)`. */
export class ApproximateGELU extends Module {
  /** `Linear(dim_in, dim_out)`. */
  readonly proj: Linear;

  /** `dim_in -> dim_out`; `options.bias` (default `true`) is the bias of `proj`. */
  constructor(dim_in: number, dim_out: number, options: { readonly bias?: boolean } = {}) {
    super();
    this.proj = new Linear(dim_in, dim_out, { bias: options.bias ?? true });
  }

  /** @param x `[..., dim_in]`, float32. @returns `[..., dim_out]`; a new tensor. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.proj.forward(x);
      return tf.mul(y, tf.sigmoid(tf.mul(y, 1.702)));
    });
  }
}
