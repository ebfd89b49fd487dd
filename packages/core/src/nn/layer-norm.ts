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
    return tf.tidy(() => {
      const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      const { mean, variance } = tf.moments(xf, -1, true);
      let y = tf.mul(tf.sub(xf, mean), tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight !== null) y = tf.mul(y, this.weight.value);
      if (this.bias !== null) y = tf.add(y, this.bias.value);
      return y;
    });
  }
}
