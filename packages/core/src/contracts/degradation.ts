import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';

/**
 * A way of making low-resolution inputs from high-resolution images (plain bicubic,
 * the Real-ESRGAN pipeline, ...). Implementations live in `@yonos/degrade`.
 */
export interface Degradation {
  /**
   * @param hr NHWC `[N, H, W, 3]`, float32 in `[0, 1]`; H and W divisible by `scale`.
   * @param scale Downscaling factor (2, 4, 8, ...).
   * @param rng Source of every random choice, so a seed reproduces the batch.
   * @returns NHWC `[N, H/scale, W/scale, 3]`, float32 in `[0, 1]`.
   */
  degrade(hr: tf.Tensor4D, scale: number, rng: Rng): tf.Tensor4D;
}
