import * as tf from '@tensorflow/tfjs-core';
import { checkLastDim, checkPositiveInt } from './check.js';
import { onesInit, zerosInit } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance (default `1e-5`, as PyTorch). */
  readonly eps?: number;
  /** Learn `weight` (and `bias`, see below) (default `true`). */
  readonly elementwise_affine?: boolean;
  /** With `elementwise_affine`, also learn `bias` (default `true`). */
  readonly bias?: boolean;
}

/**
 * Layer normalization of `[R, C]` rows with a hand-written gradient. Forward: `d = x - mean`,
 * `rstd = rsqrt(mean(d^2) + eps)` (two passes, so a large mean costs no precision),
 * `xhat = d * rstd`, `y = xhat * w + b`. Backward, with `g = dy * w`:
 * `dx = rstd * (g - mean(g) - xhat * mean(g * xhat))` (means along rows),
 * `dw = sum_rows(dy * xhat)`, `db = sum_rows(dy)`: a handful of full-size passes where the
 * autodiff of `moments` and the broadcasts makes several times more.
 */
const layerNormOp = (eps: number) =>
  tf.customGrad((xIn, wIn, bIn, save) => {
    const x = xIn as tf.Tensor2D;
    const w = wIn as tf.Tensor1D;
    const d = tf.sub(x, tf.mean(x, 1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(d), 1, true), eps));
    const xhat = tf.mul(d, rstd);
    (save as tf.GradSaveFunc)([xhat, rstd, w]);
    return {
      value: tf.add(tf.mul(xhat, w), bIn as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, ww] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const g = tf.mul(dy, ww);
        const m1 = tf.mean(g, 1, true);
        const m2 = tf.mean(tf.mul(g, xh), 1, true);
        const dx = tf.mul(tf.sub(tf.sub(g, m1), tf.mul(xh, m2)), r);
        return [dx, tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)];
      },
    };
  });

/**
 * `torch.nn.functional.layer_norm` over the last dimension, differentiable with respect to
 * `x`, `weight` and `bias` through a hand-written gradient (see `layerNormOp` in the source).
 * @param x `[..., C]`, any float dtype; computed in float32.
 * @param eps Added to the biased variance.
 * @param weight `[C]` scale, or `null` for none.
 * @param bias `[C]` shift, or `null` for none.
 * @returns Same shape as `x`, float32; a new tensor.
 */
export function layerNorm(x: tf.Tensor, eps: number, weight: tf.Tensor | null, bias: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const c = x.shape[x.rank - 1]!;
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const w = weight ?? tf.ones([c]);
    const b = bias ?? tf.zeros([c]);
    return tf.reshape(layerNormOp(eps)(tf.reshape(xf, [-1, c]), w, b), x.shape);
  });
}

/**
 * `torch.nn.LayerNorm` over the last dimension: mean and biased variance per position,
 * computed in float32. Parameters `weight` (ones) and `bias` (zeros), `[normalized_shape]`.
 */
export class LayerNorm extends Module {
  /** Size of the normalized (last) dimension. */
  readonly normalized_shape: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** `[normalized_shape]` scale, or `null`. */
  readonly weight: Parameter | null;
  /** `[normalized_shape]` shift, or `null`. */
  readonly bias: Parameter | null;

  /** @param normalized_shape Size of the last dimension (PyTorch's `normalized_shape`, one dimension only). */
  constructor(normalized_shape: number, options: LayerNormOptions = {}) {
    super();
    checkPositiveInt('LayerNorm', 'normalized_shape', normalized_shape);
    this.normalized_shape = normalized_shape;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwise_affine ?? true;
    this.weight = affine ? new Parameter([normalized_shape], { init: onesInit }) : null;
    this.bias = affine && (options.bias ?? true) ? new Parameter([normalized_shape], { init: zerosInit }) : null;
  }

  /**
   * @param x `[..., normalized_shape]`, any float dtype.
   * @returns Same shape, float32; a new tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim('LayerNorm', x, this.normalized_shape, 'features');
    return layerNorm(x, this.eps, this.weight?.value ?? null, this.bias?.value ?? null);
  }
}
