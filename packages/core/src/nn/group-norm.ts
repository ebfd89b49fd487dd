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
 * Per-(sample, channel) mean over all positions, `[N, S, C]` -> `[N, C]`, as one global
 * average pooling: a single read of the tensor on every backend, where a reduction over a
 * middle axis makes tfjs-wasm transpose the whole tensor first.
 */
function positionMean(x: tf.Tensor3D): tf.Tensor2D {
  const [n, s, c] = x.shape;
  if (s === 1) return tf.reshape(x, [n, c]);
  return tf.reshape(tf.avgPool(tf.reshape(x, [n, s, 1, c]) as tf.Tensor4D, [s, 1], 1, 'valid'), [n, c]);
}

/** `[N, C]` -> `[N, G]`: mean over each group's contiguous channels. */
function groupMean(t: tf.Tensor2D, groups: number): tf.Tensor2D {
  const [n, c] = t.shape;
  return groups === c ? t : tf.mean(tf.reshape(t, [n, groups, c / groups]), 2);
}

/**
 * `[N, G]` -> `[N, 1, C]`: each group's value repeated over its channels. Full-size tensors
 * are only ever combined with such per-channel rows: tfjs-wasm broadcasts a contiguous
 * channel row fast, a `[N, 1, G, 1]` factor over `[N, S, G, C/G]` 2-3x slower (measured).
 */
function perChannel(t: tf.Tensor2D, channels: number): tf.Tensor3D {
  const [n, groups] = t.shape;
  const spread = groups === channels ? t : tf.tile(tf.reshape(t, [n, groups, 1]), [1, 1, channels / groups]);
  return tf.reshape(spread, [n, 1, channels]);
}

/**
 * Group normalization of `[N, S, C]` with a hand-written gradient. Forward: group means from
 * per-channel means, centred values `d = x - mean`, group variances from per-channel means of
 * `d^2` (two passes, so a large mean costs no precision), then one per-channel scale and
 * shift, `y = d * (rstd * w) + b`. Backward, with `g = dy * w` and `xhat = d * rstd`:
 * `dx = rstd * (g - mean_group(g) - xhat * mean_group(g * xhat))`, `dw = sum(dy * xhat)`,
 * `db = sum(dy)`, where every sum over positions is a per-channel {@link positionMean} and
 * the rest are `[N, C]`-sized, so each direction makes a handful of full-size passes where
 * tfjs's autodiff of the composed ops makes several times more.
 */
const groupNormOp = (groups: number, eps: number) =>
  tf.customGrad((xIn, wIn, bIn, save) => {
    const x = xIn as tf.Tensor3D;
    const w = wIn as tf.Tensor1D;
    const [n, s, c] = x.shape;
    // The means come out of their own scopes, so the full-size views and the square they are
    // taken over are freed at once: GroupNorm peaks at 4 copies of x, not 7 (same values).
    const d = tf.sub<tf.Tensor3D>(x, tf.tidy(() => perChannel(groupMean(positionMean(x), groups), c)));
    const variance = tf.tidy(() => groupMean(positionMean(tf.square(d)), groups));
    const rstd = tf.reshape(perChannel(tf.rsqrt(tf.add<tf.Tensor2D>(variance, eps)), c), [n, c]);
    const y = tf.add(tf.mul(d, tf.reshape(tf.mul(rstd, w), [n, 1, c])), bIn as tf.Tensor1D);
    (save as tf.GradSaveFunc)([d, rstd, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [dSaved, r, wSaved] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D];
        const dy3 = dy as tf.Tensor3D;
        const meanDy = positionMean(dy3);
        const meanDyD = positionMean(tf.mul<tf.Tensor3D>(dy3, dSaved));
        const db = tf.mul(tf.sum(meanDy, 0), s);
        const dw = tf.mul(tf.sum(tf.mul(meanDyD, r), 0), s);
        // Group means (over positions and the group's channels) of g and of g * xhat.
        const m1 = tf.reshape(perChannel(groupMean(tf.mul(meanDy, wSaved), groups), c), [n, c]);
        const m2 = tf.mul(tf.reshape(perChannel(groupMean(tf.mul(meanDyD, wSaved), groups), c), [n, c]), r);
        // dx = dy * (rstd w) + d * (-rstd^2 m2) + (-rstd m1), with [N, C] coefficients.
        const alpha = tf.reshape(tf.mul(r, wSaved), [n, 1, c]);
        const beta = tf.reshape(tf.neg(tf.mul(tf.mul(r, r), m2)), [n, 1, c]);
        const gamma = tf.reshape(tf.neg(tf.mul(r, m1)), [n, 1, c]);
        const dx = tf.add(tf.add(tf.mul(dy3, alpha), tf.mul(dSaved, beta)), gamma);
        return [dx, dw, db];
      },
    };
  });

/**
 * `torch.nn.functional.group_norm` on channels-last tensors, differentiable with respect to
 * `x`, `weight` and `bias` through a hand-written gradient (see `groupNormOp` in the source).
 * @param x `[N, ..., C]` (rank >= 2), any float dtype; computed in float32.
 * @param groups Divides `C`; channels `[k * C/G, (k+1) * C/G)` form group `k`.
 * @param eps Added to the biased variance.
 * @param weight `[C]` scale, or `null` for none.
 * @param bias `[C]` shift, or `null` for none.
 * @returns Same shape as `x`, float32; a new tensor.
 */
export function groupNorm(x: tf.Tensor, groups: number, eps: number, weight: tf.Tensor | null, bias: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const c = x.shape[x.rank - 1]!;
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const x3 = tf.reshape(xf, [n, x.size / (n * c), c]);
    const w = weight ?? tf.ones([c]);
    const b = bias ?? tf.zeros([c]);
    return tf.reshape(groupNormOp(groups, eps)(x3, w, b), x.shape);
  });
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
    return groupNorm(x, this.num_groups, this.eps, this.weight?.value ?? null, this.bias?.value ?? null);
  }
}
