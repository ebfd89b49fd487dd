import * as tf from '@tensorflow/tfjs-core';

/** Rounds `value` up to a multiple of `multiple`. */
export function roundUpTo(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * Pads the bottom and right of an NHWC tensor to `height x width` by mirroring (the edge
 * pixel repeated, then the image reflected: `symmetric`), so convolutions near the padded
 * border see image-like content instead of a step. Repeats the mirror when the padding is
 * wider than the image.
 * @param x NHWC `[N, H, W, C]`, H <= height and W <= width.
 * @returns NHWC `[N, height, width, C]`, a new tensor (a copy when no padding is needed).
 */
export function padBottomRight(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    let out: tf.Tensor4D = x;
    while (out.shape[1] < height || out.shape[2] < width) {
      const dh = Math.min(height - out.shape[1], out.shape[1]);
      const dw = Math.min(width - out.shape[2], out.shape[2]);
      out = tf.mirrorPad(out, [[0, 0], [0, dh], [0, dw], [0, 0]], 'symmetric');
    }
    return out === x ? tf.clone(x) : out;
  });
}

/** The top-left `height x width` of an NHWC tensor (a new tensor). */
export function cropTopLeft(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.slice(x, [0, 0, 0, 0], [-1, height, width, -1]);
}
