import type * as tf from '@tensorflow/tfjs-core';
import { NnArgumentError } from './errors.js';

/** Throws unless `x` has one of the given ranks. */
export function checkRank(where: string, x: tf.Tensor, ranks: readonly number[], layout: string): void {
  if (!ranks.includes(x.rank)) {
    throw new NnArgumentError(
      `${where} expects a rank-${ranks.join(' or ')} tensor (${layout}), got shape [${x.shape.join(', ')}].`,
    );
  }
}

/** Throws unless the last dimension of `x` is `size`. */
export function checkLastDim(where: string, x: tf.Tensor, size: number, what = 'channels'): void {
  const last = x.shape[x.rank - 1];
  if (last !== size) {
    throw new NnArgumentError(
      `${where} expects ${size} ${what} in the last dimension (channels-last), got shape [${x.shape.join(', ')}].` +
        ' Inputs are NHWC / [..., features]; transpose NCHW tensors first.',
    );
  }
}

/** Throws unless `value` is a positive integer. */
export function checkPositiveInt(where: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new NnArgumentError(`${where}: ${name} must be a positive integer, got ${value}.`);
  }
}
