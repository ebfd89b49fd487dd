import * as tf from '@tensorflow/tfjs-core';
import { reflectPad } from './reflect-pad.js';

/**
 * Correlates every channel with the separable kernel `column ⊗ row` (one for the whole
 * batch) after reflect padding: the same result as `filter2D` with their outer product, in
 * `2k` instead of `k^2` multiplies per pixel.
 *
 * @param images NHWC `[N, H, W, C]`, float32.
 * @param taps The 1-D kernel (odd length), used along both axes.
 * @returns NHWC `[N, H, W, C]`, float32.
 */
export function separableFilter(images: tf.Tensor4D, taps: Float32Array): tf.Tensor4D {
  const k = taps.length;
  const c = images.shape[3];
  return tf.tidy(() => {
    const padded = reflectPad(images, (k - 1) / 2);
    const line = tf.tensor1d(taps, 'float32');
    const alongW = tf.tile(tf.reshape(line, [1, k, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const alongH = tf.tile(tf.reshape(line, [k, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, alongW, 1, 'valid'), alongH, 1, 'valid');
  });
}
