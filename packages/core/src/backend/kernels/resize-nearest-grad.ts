import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from './tensor-args.js';

/**
 * For each output row (or column) of `resizeNearestNeighbor`, the input row it copies, with
 * exactly the forward op's arithmetic (tfjs-backend-cpu's, which wasm and webgpu match).
 */
export function nearestSourceIndex(outLen: number, inLen: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const effIn = alignCorners && outLen > 1 ? inLen - 1 : inLen;
  const effOut = alignCorners && outLen > 1 ? outLen - 1 : outLen;
  const ratio = effIn / effOut;
  const src = new Int32Array(outLen);
  for (let i = 0; i < outLen; i++) {
    const frac = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
    let s = Math.min(inLen - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) s = Math.max(0, s);
    src[i] = s;
  }
  return src;
}

/**
 * `ResizeNearestNeighborGrad` for any backend: each `dy` pixel is added to the input pixel the
 * forward pass copied it from (an `unsortedSegmentSum` over a host-computed index map).
 * Replaces tfjs-backend-cpu 4.22's kernel, which reads `dy` at the input's batch stride and so
 * returns wrong gradients for every batch item after the first.
 * Inputs: `images` NHWC `[N, H, W, C]` (only its shape is used), `dy` `[N, H', W', C]`; output `[N, H, W, C]`.
 */
export const resizeNearestNeighborGradKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
  return tf.tidy(() => {
    const images = asTensor<tf.Tensor4D>(inputs['images'], 'images');
    const dy = asTensor<tf.Tensor4D>(inputs['dy'], 'dy');
    const [n, h, w, c] = images.shape;
    const [, ho, wo] = dy.shape;
    const rows = nearestSourceIndex(ho, h, alignCorners, halfPixelCenters);
    const cols = nearestSourceIndex(wo, w, alignCorners, halfPixelCenters);
    const ids = new Int32Array(ho * wo);
    for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) ids[i * wo + j] = (rows[i] ?? 0) * w + (cols[j] ?? 0);
    const pixelsFirst = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [ho * wo, n, c]);
    const summed = tf.unsortedSegmentSum(pixelsFirst, tf.tensor1d(ids, 'int32'), h * w);
    return tf.transpose(tf.reshape(summed, [h, w, n, c]), [2, 0, 1, 3]);
  });
};
