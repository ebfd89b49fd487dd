import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '@yonos/core';
import type { Degradation, Rng } from '@yonos/core';
import { check } from '../errors.js';

/** Options of {@link BicubicDegradation}. */
export interface BicubicDegradationOptions {
  /** MATLAB antialiasing when shrinking. Default `true` (the standard SR benchmark setting). */
  readonly antialiasing?: boolean;
  /** Clamp to [0, 1] and round to 8-bit levels, as saving the LR image as PNG does. Default `true`. */
  readonly quantize?: boolean;
}

/**
 * The classic SR degradation: MATLAB bicubic downscaling (`imresize(hr, 1/scale)`), as
 * DIV2K/Set5/... LR images are made. Deterministic: `rng` is not used.
 */
export class BicubicDegradation implements Degradation {
  /** Whether shrinking uses MATLAB's antialiasing (a wider kernel); from the options, default `true`. */
  readonly antialiasing: boolean;
  /** Whether the output is clamped to [0, 1] and rounded to 8-bit levels; from the options, default `true`. */
  readonly quantize: boolean;

  constructor(options: BicubicDegradationOptions = {}) {
    this.antialiasing = options.antialiasing ?? true;
    this.quantize = options.quantize ?? true;
  }

  /**
   * @param hr NHWC `[N, H, W, C]`, float32 in [0, 1]; H and W divisible by `scale`.
   * @param scale Integer downscaling factor.
   * @param _rng Unused (the degradation is deterministic).
   * @returns NHWC `[N, H/scale, W/scale, C]`, float32 in [0, 1] (8-bit levels when `quantize`).
   */
  degrade(hr: tf.Tensor4D, scale: number, _rng?: Rng): tf.Tensor4D {
    check(hr.rank === 4, () => `BicubicDegradation: hr must be NHWC rank 4, got shape [${hr.shape.join(', ')}].`);
    const [, h, w] = hr.shape;
    check(Number.isInteger(scale) && scale >= 1 && h % scale === 0 && w % scale === 0, () => `BicubicDegradation: scale must be a positive integer dividing H and W (${h}x${w}), got ${scale}.`);
    return tf.tidy(() => {
      // An explicit size keeps the factor exactly 1/scale on both axes and the size exact.
      const lr = imresize(hr, { height: h / scale, width: w / scale }, { antialiasing: this.antialiasing });
      return this.quantize ? tf.div(tf.clipByValue(tf.round(tf.mul(lr, 255)), 0, 255), 255) : lr;
    });
  }
}
