import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser } from '@yonos/core';
import { PipelineInputError } from './errors.js';

/**
 * @throws PipelineInputError unless the denoiser has cross-attention and `context` is
 *   `[1 or batch, L, crossAttentionDim]`.
 */
export function checkContext(unet: Denoiser, context: tf.Tensor, batch: number): void {
  const dim = unet.crossAttentionDim;
  if (dim === undefined) {
    throw new PipelineInputError('this denoiser has no cross-attention (crossAttentionDim is undefined); do not pass a context.');
  }
  const [n, , d] = context.shape;
  if (context.rank !== 3 || d !== dim || (n !== 1 && n !== batch)) {
    throw new PipelineInputError(`context must be [1 or ${batch}, L, ${dim}] (crossAttentionDim ${dim}); got [${context.shape.join(', ')}].`);
  }
}

/** Tokens of the context a run passes to the denoiser: 0 without cross-attention, 1 for the null context. */
export function contextLength(unet: Denoiser, context: tf.Tensor3D | undefined): number {
  if (unet.crossAttentionDim === undefined) return 0;
  return context?.shape[1] ?? 1;
}

/**
 * The context of a run on `batch` images: `context` (checked) repeated to the batch, or zeros
 * `[batch, 1, D]` (the null context); `undefined` for a denoiser without cross-attention.
 * The caller owns the result; `context` is not disposed.
 */
export function runContext(unet: Denoiser, context: tf.Tensor3D | undefined, batch: number): tf.Tensor3D | undefined {
  const dim = unet.crossAttentionDim;
  if (context !== undefined) checkContext(unet, context, batch);
  if (dim === undefined) return undefined;
  if (context === undefined) return tf.zeros([batch, 1, dim]);
  return tf.tidy(() => (context.shape[0] === batch ? tf.clone(context) : tf.tile(context, [batch, 1, 1])));
}
