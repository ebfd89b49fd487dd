import type * as tf from '@tensorflow/tfjs-core';
import { VaeInputError } from './errors.js';

/**
 * Checks what an autoencoder's `encode`/`decode` is given: NHWC rank 4 with `channels`
 * channels, float32. The message names the method and says how to fix NCHW or integer input.
 * @throws {@link VaeInputError} otherwise.
 */
export function checkImageLike(where: string, x: tf.Tensor, channels: number, what: string): void {
  if (x.rank !== 4 || x.shape[3] !== channels) {
    throw new VaeInputError(
      `${where} expects an NHWC ${what} [N, H, W, ${channels}], got shape [${x.shape.join(', ')}]; ` +
        'transpose NCHW tensors with tf.transpose(x, [0, 2, 3, 1]) first.',
    );
  }
  if (x.dtype !== 'float32') {
    throw new VaeInputError(`${where} expects a float32 ${what}, got ${x.dtype}; convert images to float32 in [-1, 1] first.`);
  }
}
