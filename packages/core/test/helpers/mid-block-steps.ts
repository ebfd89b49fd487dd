import * as tf from '@tensorflow/tfjs-core';
import type { UNetMidBlock2D } from '../../src/nn/index.js';

/**
 * A mid block's steps (resnet, then attention and resnet per layer) in one tidy, as the U-Net's
 * own block ran them: the reference its eager forward must equal, and that keeps every intermediate.
 */
export function midBlockStepsInOneTidy(block: UNetMidBlock2D, x: tf.Tensor4D, temb: tf.Tensor2D | null): tf.Tensor4D {
  return tf.tidy(() => {
    let h = block.resnets[0]!.forward(x, temb);
    for (let i = 1; i < block.resnets.length; i++) {
      const attention = block.attentions.get(i - 1);
      if (attention !== undefined) h = attention.forward(h) as tf.Tensor4D;
      h = block.resnets[i]!.forward(h, temb);
    }
    return h;
  });
}
