import * as tf from '@tensorflow/tfjs-core';
import { check } from '../errors.js';
import { reflectPad } from './reflect-pad.js';

/**
 * Correlates every channel of every image with a square kernel after reflect padding, so
 * the output keeps the input size: BasicSR's `filter2D` (the PyTorch twin of
 * `cv2.filter2D` used by Real-ESRGAN). Like both, it does not flip the kernel.
 *
 * Per-sample kernels are applied in one depthwise convolution (batch folded into
 * channels), so a batch with different blurs is one op; the result is differentiable with
 * respect to both the images and the kernels.
 *
 * @param images NHWC `[N, H, W, C]`, float32 (typically in [0, 1]).
 * @param kernels `[k, k]` or `[1, k, k]` (one kernel for the whole batch) or `[N, k, k]`
 *   (one per sample), float32, `k` odd.
 * @returns NHWC `[N, H, W, C]`, float32.
 * @throws {@link DegradeError} on an even kernel size or a batch-size mismatch.
 */
export function filter2D(images: tf.Tensor4D, kernels: tf.Tensor2D | tf.Tensor3D): tf.Tensor4D {
  check(images.rank === 4, () => `filter2D: images must be NHWC rank 4, got shape [${images.shape.join(', ')}].`);
  check(kernels.rank === 2 || kernels.rank === 3, () => `filter2D: kernels must be [k, k] or [N, k, k], got shape [${kernels.shape.join(', ')}].`);
  const [n, h, w, c] = images.shape;
  const k = kernels.shape[kernels.rank - 1]!;
  const kb = kernels.rank === 3 ? kernels.shape[0]! : 1;
  check(kernels.shape[kernels.rank - 2] === k && k % 2 === 1, () => `filter2D: kernels must be square with an odd size, got shape [${kernels.shape.join(', ')}].`);
  check(kb === 1 || kb === n, () => `filter2D: got ${kb} kernels for ${n} images; pass one kernel or one per image.`);
  return tf.tidy(() => {
    const padded = reflectPad(images, (k - 1) / 2);
    if (kb === 1) {
      const kernel = tf.reshape(kernels, [k, k, 1, 1]);
      return tf.depthwiseConv2d(padded, tf.tile(kernel, [1, 1, c, 1]) as tf.Tensor4D, 1, 'valid');
    }
    // Fold the batch into channels: channel n*C + c of the single image uses kernel n.
    const hp = h + k - 1;
    const wp = w + k - 1;
    const folded = tf.reshape(tf.transpose(padded, [1, 2, 0, 3]), [1, hp, wp, n * c]);
    const perChannel = tf.reshape(tf.tile(tf.reshape(tf.transpose(kernels, [1, 2, 0]), [k, k, n, 1]), [1, 1, 1, c]), [k, k, n * c, 1]);
    const out = tf.depthwiseConv2d(folded as tf.Tensor4D, perChannel as tf.Tensor4D, 1, 'valid');
    return tf.transpose(tf.reshape(out, [h, w, n, c]), [2, 0, 1, 3]);
  });
}
