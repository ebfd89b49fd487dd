import * as tf from '@tensorflow/tfjs-core';
import { checkLastDim, checkPositiveInt } from './check.js';
import { NnArgumentError } from './errors.js';
import { onesInit, zerosInit } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  /** Added to the variance (default `1e-5`, as PyTorch). */
  readonly eps?: number;
  /** Learn a per-channel scale `weight` and shift `bias` (default `true`). */
  readonly affine?: boolean;
}

/**
 * `torch.nn.GroupNorm` on channels-last tensors: channels are split into `num_groups`
 * contiguous groups; each sample's group is normalized with its own mean and biased
 * variance (over the group's channels and all spatial positions), computed in float32.
 * Parameters `weight` (ones) and `bias` (zeros), `[num_channels]`.
 */
export class GroupNorm extends Module {
  /** Number of groups. */
  readonly num_groups: number;
  /** Number of channels (a multiple of `num_groups`). */
  readonly num_channels: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** `[num_channels]` scale, or `null` when not affine. */
  readonly weight: Parameter | null;
  /** `[num_channels]` shift, or `null` when not affine. */
  readonly bias: Parameter | null;

  /** @throws {@link NnArgumentError} if `num_channels` is not divisible by `num_groups`. */
  constructor(num_groups: number, num_channels: number, options: GroupNormOptions = {}) {
    super();
    checkPositiveInt('GroupNorm', 'num_groups', num_groups);
    checkPositiveInt('GroupNorm', 'num_channels', num_channels);
    if (num_channels % num_groups !== 0) {
      throw new NnArgumentError(
        `GroupNorm: num_channels (${num_channels}) must be divisible by num_groups (${num_groups}).`,
      );
    }
    this.num_groups = num_groups;
    this.num_channels = num_channels;
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter([num_channels], { init: onesInit }) : null;
    this.bias = affine ? new Parameter([num_channels], { init: zerosInit }) : null;
  }

  /**
   * @param x `[N, ..., num_channels]` (NHWC images, `[N, L, C]` sequences or `[N, C]`), any float dtype.
   * @returns Same shape, float32; a new tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank < 2) {
      throw new NnArgumentError(`GroupNorm expects [N, ..., C] (rank >= 2), got shape [${x.shape.join(', ')}].`);
    }
    checkLastDim('GroupNorm', x, this.num_channels);
    return tf.tidy(() => {
      const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      const g = this.num_groups;
      const grouped = tf.reshape(xf, [x.shape[0]!, -1, g, this.num_channels / g]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      const normalized = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.eps)));
      let y = tf.reshape(normalized, x.shape);
      if (this.weight !== null) y = tf.mul(y, this.weight.value);
      if (this.bias !== null) y = tf.add(y, this.bias.value);
      return y;
    });
  }
}
