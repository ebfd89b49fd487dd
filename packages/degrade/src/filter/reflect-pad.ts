import * as tf from '@tensorflow/tfjs-core';

/** Index map of reflection without repeating the edge (`-1 -> 1`), period `2 (n - 1)`. */
function reflectIndices(length: number, pad: number): Int32Array {
  const out = new Int32Array(length + 2 * pad);
  const period = 2 * (length - 1);
  for (let i = 0; i < out.length; i++) {
    if (period === 0) {
      out[i] = 0;
      continue;
    }
    let k = (i - pad) % period;
    if (k < 0) {
      k += period;
    }
    out[i] = k < length ? k : period - k;
  }
  return out;
}

/** Reflect-pads one spatial axis (1 or 2) by `pad < length` with slices, so gradients reach the mirrored pixels. */
function padAxis(x: tf.Tensor4D, axis: 1 | 2, pad: number): tf.Tensor4D {
  const length = x.shape[axis];
  const sliceAxis = (start: number, size: number): tf.Tensor4D => {
    const begin = [0, 0, 0, 0];
    const sizes = [-1, -1, -1, -1];
    begin[axis] = start;
    sizes[axis] = size;
    return tf.slice(x, begin, sizes);
  };
  const head = tf.reverse(sliceAxis(1, pad), axis);
  const tail = tf.reverse(sliceAxis(length - 1 - pad, pad), axis);
  return tf.concat([head, x, tail], axis);
}

/**
 * Pads H and W by `pad` on every side with reflection that does not repeat the edge pixel
 * (PyTorch `F.pad(mode='reflect')`, OpenCV `BORDER_REFLECT_101`).
 *
 * Built from slices, reversals and a concat rather than `tf.mirrorPad`, whose gradient in
 * tfjs 4.22 drops what flows into the padding. Pads of `H` or `W` and more, which PyTorch
 * rejects, keep reflecting back and forth (a gather), so small images work with large kernels.
 *
 * @param images NHWC `[N, H, W, C]`.
 * @returns NHWC `[N, H + 2 pad, W + 2 pad, C]`.
 */
export function reflectPad(images: tf.Tensor4D, pad: number): tf.Tensor4D {
  if (pad === 0) {
    return tf.clone(images);
  }
  const [, h, w] = images.shape;
  return tf.tidy(() => {
    const rows = pad < h ? padAxis(images, 1, pad) : tf.gather(images, tf.tensor1d(reflectIndices(h, pad), 'int32'), 1);
    return pad < w ? padAxis(rows, 2, pad) : tf.gather(rows, tf.tensor1d(reflectIndices(w, pad), 'int32'), 2);
  });
}
