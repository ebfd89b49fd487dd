import * as tf from '@tensorflow/tfjs-core';

/**
 * `out[n] = Wh · in[n] · Ww^T` for every sample and channel: a separable linear resize as two
 * 2-D matmuls over the whole batch (the resized axis is moved last each time).
 *
 * @param images NHWC `[N, H, W, C]`, float32.
 * @param wh Row-major `[outH, H]` weights.
 * @param ww Row-major `[outW, W]` weights.
 * @returns NHWC `[N, outH, outW, C]`, float32.
 */
export function applySeparable(images: tf.Tensor4D, wh: Float32Array, outH: number, ww: Float32Array, outW: number): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  return tf.tidy(() => {
    const mh = tf.tensor2d(wh, [outH, h], 'float32');
    const mw = tf.tensor2d(ww, [outW, w], 'float32');
    const alongH = tf.reshape(tf.transpose(images, [0, 2, 3, 1]), [n * w * c, h]);
    const resizedH = tf.reshape(tf.matMul(alongH, mh, false, true), [n, w, c, outH]);
    const alongW = tf.reshape(tf.transpose(resizedH, [0, 3, 2, 1]), [n * outH * c, w]);
    const resizedW = tf.reshape(tf.matMul(alongW, mw, false, true), [n, outH, c, outW]);
    return tf.transpose(resizedW, [0, 1, 3, 2]) as tf.Tensor4D;
  });
}
