import * as tf from '@tensorflow/tfjs-core';
import { UnetInputError } from '../errors.js';

/**
 * Concatenates the up path's `x` with a skip tensor along channels (`torch.cat([x, skip], 1)`
 * in NCHW), checking that their sizes match.
 */
export function concatSkip(x: tf.Tensor4D, skip: tf.Tensor4D | undefined, where: string): tf.Tensor4D {
  if (skip === undefined) {
    throw new UnetInputError(`${where}: too few skip tensors; pass one per ResNet of the block, as the down path produced them.`);
  }
  if (skip.shape[0] !== x.shape[0] || skip.shape[1] !== x.shape[1] || skip.shape[2] !== x.shape[2]) {
    throw new UnetInputError(
      `${where}: skip tensor [${skip.shape.join(', ')}] does not match [${x.shape.join(', ')}] in batch or size; ` +
        'the sample height and width must be such that every down and up step meet again.',
    );
  }
  return tf.concat([x, skip], 3);
}
