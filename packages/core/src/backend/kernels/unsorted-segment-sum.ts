import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from './tensor-args.js';

/**
 * `UnsortedSegmentSum` (the gradient of `gather`) for any backend: a `scatterND` that adds
 * rows with equal ids. As in TensorFlow, ids outside `[0, numSegments)` are dropped.
 * Inputs: `x` of shape `[...ids.shape, ...rest]`, `segmentIds` int32; output `[numSegments, ...rest]`.
 */
export const unsortedSegmentSumKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  return tf.tidy(() => {
    const x = asTensor(inputs['x'], 'x');
    const segmentIds = asTensor(inputs['segmentIds'], 'segmentIds');
    const k = segmentIds.size;
    const inner = x.shape.slice(segmentIds.rank);
    const ids = tf.reshape(segmentIds, [k]);
    const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
    const safeIds = tf.where(valid, ids, tf.zerosLike(ids));
    const rows = tf.reshape(x, [k, ...inner]);
    // where, not a multiply by the mask, so a dropped row holding Inf or NaN cannot leak in.
    const kept = tf.where(tf.reshape(valid, [k, ...inner.map(() => 1)]), rows, tf.zerosLike(rows));
    return tf.scatterND(tf.reshape(safeIds, [k, 1]), kept, [numSegments, ...inner]);
  });
};
