import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';

/**
 * Makes a parameter's initial value. Receives the parameter's native shape and a generator
 * dedicated to that parameter; returns a new float32 tensor of exactly that shape, which the
 * caller owns.
 */
export type Initializer = (shape: readonly number[], rng: Rng) => tf.Tensor;

/** Uniform in `[-bound, bound)`. */
export function uniformInit(bound: number): Initializer {
  return (shape, rng) => rng.uniform(shape, -bound, bound);
}

/** Normal with mean 0 and standard deviation `std`. */
export function normalInit(std: number): Initializer {
  return (shape, rng) => rng.normal(shape, 0, std);
}

/** All zeros (norm biases). */
export const zerosInit: Initializer = (shape) => tf.zeros([...shape], 'float32');

/** All ones (norm scales). */
export const onesInit: Initializer = (shape) => tf.ones([...shape], 'float32');

/**
 * PyTorch's default bound for `nn.Linear` / `nn.Conv2d`: `kaiming_uniform_(a = sqrt(5))` on the
 * weight and the bias rule both reduce to `1 / sqrt(fan_in)` (0 when `fan_in` is 0).
 * @param fanIn Inputs per output: `in_features` for a linear layer, `in * kh * kw` for a conv.
 */
export function torchDefaultBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
