import * as tf from '@tensorflow/tfjs-core';
import { check } from './errors.js';
import { bicubicWeights } from './bicubic-weights.js';

/** An explicit output size in pixels. */
export interface ImageSize {
  /** Height in pixels. */
  readonly height: number;
  /** Width in pixels. */
  readonly width: number;
}

/** Options of {@link imresize}. */
export interface ImresizeOptions {
  /**
   * Widen the cubic kernel by `1 / scale` when shrinking, so it low-passes before
   * subsampling (MATLAB's and BasicSR's default). Ignored when enlarging. Default `true`.
   */
  readonly antialiasing?: boolean;
}

const MAX_CACHED = 64;
const weightCache = new Map<string, Float32Array>();

/** The float32 copy of {@link bicubicWeights}, memoized: training resizes the same shapes every step. */
function cachedWeights(inLength: number, outLength: number, scale: number, antialiasing: boolean): Float32Array {
  const key = `${inLength}:${outLength}:${scale}:${antialiasing}`;
  let w = weightCache.get(key);
  if (w === undefined) {
    w = Float32Array.from(bicubicWeights(inLength, outLength, scale, antialiasing));
    if (weightCache.size >= MAX_CACHED) {
      const oldest = weightCache.keys().next().value;
      if (oldest !== undefined) {
        weightCache.delete(oldest);
      }
    }
    weightCache.set(key, w);
  }
  return w;
}

function checkPositiveInteger(value: number, name: string): void {
  check(Number.isInteger(value) && value >= 1, () => `imresize: ${name} must be a positive integer, got ${value}.`);
}

/**
 * MATLAB-compatible bicubic resize (`imresize(img, scale, 'bicubic')`), equal to BasicSR's
 * `basicsr.utils.matlab_functions.imresize`: Keys cubic with a = -0.5, kernel width 4,
 * antialiasing when shrinking, symmetric (edge-repeating) border.
 *
 * This is the project's one bicubic: degradations use it to make LR images and the
 * pipeline uses it to upsample LR inputs. It is separable and applied as two matrix
 * products (interpolation matrices built on the host in float64, cast to float32), so it
 * is batched, runs on any backend and is differentiable with respect to `image`.
 *
 * @param image NHWC `[N, H, W, C]`, float32, any range (values are interpolated, not clamped;
 *   bicubic overshoots slightly outside the input range near edges).
 * @param scale Either a positive factor applied to both axes, the output size being
 *   `ceil(H * scale) x ceil(W * scale)` (BasicSR's convention), or an explicit
 *   `{ height, width }`; then each axis uses its own factor `out / in`, as MATLAB does for
 *   `imresize(img, [rows cols])`.
 * @param options See {@link ImresizeOptions}.
 * @returns NHWC `[N, outH, outW, C]`, float32.
 * @throws {@link ResizeError} if `image` is not rank 4 or the scale/size is not positive.
 */
export function imresize(image: tf.Tensor4D, scale: number | ImageSize, options: ImresizeOptions = {}): tf.Tensor4D {
  check(image.rank === 4, () => `imresize: expected an NHWC rank-4 tensor, got shape [${image.shape.join(', ')}].`);
  const antialiasing = options.antialiasing ?? true;
  const [n, inH, inW, c] = image.shape;
  let outH: number;
  let outW: number;
  let scaleH: number;
  let scaleW: number;
  if (typeof scale === 'number') {
    check(Number.isFinite(scale) && scale > 0, () => `imresize: scale must be a positive finite number, got ${scale}.`);
    outH = Math.ceil(inH * scale);
    outW = Math.ceil(inW * scale);
    scaleH = scale;
    scaleW = scale;
  } else {
    outH = scale.height;
    outW = scale.width;
    checkPositiveInteger(outH, 'height');
    checkPositiveInteger(outW, 'width');
    scaleH = outH / inH;
    scaleW = outW / inW;
  }
  check(inH >= 1 && inW >= 1, () => `imresize: the input must not be empty, got shape [${image.shape.join(', ')}].`);
  const wh = cachedWeights(inH, outH, scaleH, antialiasing);
  const ww = cachedWeights(inW, outW, scaleW, antialiasing);
  return tf.tidy(() => {
    const mh = tf.tensor2d(wh, [outH, inH], 'float32');
    const mw = tf.tensor2d(ww, [outW, inW], 'float32');
    // Each pass puts the resized axis last so a single 2-D matmul covers the whole batch.
    const alongH = tf.reshape(tf.transpose(image, [0, 2, 3, 1]), [n * inW * c, inH]);
    const resizedH = tf.reshape(tf.matMul(alongH, mh, false, true), [n, inW, c, outH]);
    const alongW = tf.reshape(tf.transpose(resizedH, [0, 3, 2, 1]), [n * outH * c, inW]);
    const resizedW = tf.reshape(tf.matMul(alongW, mw, false, true), [n, outH, c, outW]);
    return tf.transpose(resizedW, [0, 1, 3, 2]) as tf.Tensor4D;
  });
}
