import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSize } from '@yonos/core';
import { check } from '../errors.js';
import { applySeparable } from './separable.js';
import { type TorchResizeMode, torchResizeWeights } from './torch-weights.js';

/** Options of {@link interpolate}. */
export interface InterpolateOptions {
  /** Resampling rule. */
  readonly mode: TorchResizeMode;
}

/**
 * PyTorch's `F.interpolate(x, size | scale_factor, mode, align_corners=False)` for the modes
 * Real-ESRGAN uses: `'area'` (adaptive average pooling), `'bilinear'` and `'bicubic'`
 * (a = -0.75, border pixels replicated; may overshoot [0, 1]), all without antialiasing.
 * Given a factor, the output is `floor(H * f) x floor(W * f)` and, as PyTorch does, the
 * sampling grid uses `1 / f` rather than the size ratio. Applied as two matmuls, so it is
 * batched and differentiable. For MATLAB-style bicubic use `imresize`.
 *
 * @param images NHWC `[N, H, W, C]`, float32.
 * @param target An output `{ height, width }` or a positive factor for both axes.
 * @returns NHWC `[N, outH, outW, C]`, float32.
 * @throws {@link DegradeError} when the output would be empty or the arguments are invalid.
 */
export function interpolate(images: tf.Tensor4D, target: ImageSize | number, options: InterpolateOptions): tf.Tensor4D {
  check(images.rank === 4, () => `interpolate: images must be NHWC rank 4, got shape [${images.shape.join(', ')}].`);
  const [, h, w] = images.shape;
  let outH: number;
  let outW: number;
  let factor: number | undefined;
  if (typeof target === 'number') {
    check(Number.isFinite(target) && target > 0, () => `interpolate: the scale factor must be a positive number, got ${target}.`);
    factor = target;
    outH = Math.floor(h * target);
    outW = Math.floor(w * target);
  } else {
    outH = target.height;
    outW = target.width;
  }
  check(Number.isInteger(outH) && Number.isInteger(outW) && outH >= 1 && outW >= 1, () => `interpolate: the output size must be at least 1x1, got ${outH}x${outW} (input ${h}x${w}).`);
  const wh = Float32Array.from(torchResizeWeights(options.mode, h, outH, factor));
  const ww = Float32Array.from(torchResizeWeights(options.mode, w, outW, factor));
  return applySeparable(images, wh, outH, ww, outW);
}
