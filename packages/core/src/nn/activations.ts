import * as tf from '@tensorflow/tfjs-core';
import { NnArgumentError } from './errors.js';

/** GELU variants, with PyTorch's names: `'none'` is the exact erf form. */
export type GeluApproximation = 'none' | 'tanh';

/** SiLU / swish, `x * sigmoid(x)`. Any shape; returns a new tensor. */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU as `torch.nn.functional.gelu`: exact `0.5 x (1 + erf(x / sqrt 2))` (default), or
 * `approximate: 'tanh'`, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`. Any shape; new tensor.
 */
export function gelu(x: tf.Tensor, approximate: GeluApproximation = 'none'): tf.Tensor {
  return tf.tidy(() => {
    if (approximate === 'tanh') {
      const inner = tf.mul(tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT_HALF))));
  });
}

/** Mish, `x * tanh(softplus(x))`. Any shape; new tensor. */
export function mish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.tanh(tf.softplus(x))));
}

/** Activation names diffusers configs use (`act_fn`, `non_linearity`); `'gelu'` is exact. */
export type ActivationName = 'swish' | 'silu' | 'mish' | 'gelu' | 'relu';

/** An elementwise activation: any shape in, new tensor of the same shape out. */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

/**
 * The activation for a diffusers name (case-insensitive), as diffusers' `get_activation`.
 * @throws {@link NnArgumentError} for an unknown name.
 */
export function getActivation(name: string): ActivationFn {
  switch (name.toLowerCase()) {
    case 'swish':
    case 'silu':
      return silu;
    case 'mish':
      return mish;
    case 'gelu':
      return (x) => gelu(x);
    case 'relu':
      return (x) => tf.relu(x);
    default:
      throw new NnArgumentError(`Unknown activation '${name}': use one of swish, silu, mish, gelu, relu.`);
  }
}
