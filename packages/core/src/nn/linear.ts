import * as tf from '@tensorflow/tfjs-core';
import { checkLastDim, checkPositiveInt } from './check.js';
import { torchDefaultBound, uniformInit } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default `true`). */
  readonly bias?: boolean;
}

/**
 * `torch.nn.Linear`: `y = x W + b`. Parameters `weight` (native `[in, out]`, torch
 * `[out, in]`) and `bias` (`[out]`), PyTorch default init.
 */
export class Linear extends Module {
  /** Input features. */
  readonly in_features: number;
  /** Output features. */
  readonly out_features: number;
  /** Native `[in_features, out_features]`. */
  readonly weight: Parameter;
  /** `[out_features]`, or `null` without bias. */
  readonly bias: Parameter | null;

  /** @throws `NnArgumentError` unless both sizes are positive integers. */
  constructor(in_features: number, out_features: number, options: LinearOptions = {}) {
    super();
    checkPositiveInt('Linear', 'in_features', in_features);
    checkPositiveInt('Linear', 'out_features', out_features);
    this.in_features = in_features;
    this.out_features = out_features;
    const init = uniformInit(torchDefaultBound(in_features));
    this.weight = new Parameter([in_features, out_features], { layout: 'linear', init });
    this.bias = options.bias === false ? null : new Parameter([out_features], { init });
  }

  /**
   * @param x `[..., in_features]`, float32 (any rank >= 1).
   * @returns `[..., out_features]`, float32; a new tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim('Linear', x, this.in_features, 'features');
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, this.in_features]);
      let y: tf.Tensor = tf.matMul(x2 as tf.Tensor2D, this.weight.value as tf.Tensor2D);
      if (this.bias !== null) y = tf.add(y, this.bias.value);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, this.out_features]);
    });
  }
}
