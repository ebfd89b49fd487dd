import * as tf from '@tensorflow/tfjs-core';
import { convWindow, pair, padOrCrop } from './tensor-args.js';
import type { ConvPad, DimRoundingMode } from './tensor-args.js';

/**
 * Gradient of an NHWC `conv2d` (dilation 1) with respect to its filter as im2col + one
 * matrix product: the `KH * KW` shifted (strided) views of the padded input, side by side on
 * channels, form `cols` `[N * H' * W', KH * KW * Cin]`, and `dW = cols^T dy`. Both factors
 * run over the `N * H' * W'` rows, so one of them is transposed explicitly (tfjs-wasm's product
 * takes no transpose flag at speed): `dy` when it is the narrower (`Cout < KH * KW * Cin`,
 * computing `(dy^T cols)^T`), else `cols`. Exact; any stride, padding and rounding mode.
 * @param x NHWC `[N, H, W, Cin]`, float32.
 * @param dy NHWC `[N, H', W', Cout]`: gradient of the forward output.
 * @param filterShape `[KH, KW, Cin, Cout]`.
 * @returns `[KH, KW, Cin, Cout]`, float32.
 */
export function conv2dFilterGradIm2col(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  strides: number | readonly [number, number],
  pad: ConvPad,
  dimRoundingMode?: DimRoundingMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = filterShape;
    const [sh, sw] = pair(strides);
    const win = convWindow(x.shape, filterShape, [sh, sw], pad, dimRoundingMode);
    const [n, h, w] = x.shape;
    const [, ho, wo] = dy.shape;
    // Exactly the rows and columns the forward conv read (padding added, unread ones cropped).
    const xp = padOrCrop(x, win.top, (ho - 1) * sh + kh - win.top - h, win.left, (wo - 1) * sw + kw - win.left - w);
    const taps: tf.Tensor4D[] = [];
    const whole = kh === 1 && kw === 1 && sh === 1 && sw === 1 && xp.shape[1] === ho && xp.shape[2] === wo;
    for (let i = 0; i < kh && !whole; i++) {
      for (let j = 0; j < kw; j++) {
        taps.push(
          sh === 1 && sw === 1
            ? tf.slice(xp, [0, i, j, 0], [n, ho, wo, cin])
            : (tf.stridedSlice(xp, [0, i, j, 0], [n, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, cin], [1, sh, sw, 1]) as tf.Tensor4D),
        );
      }
    }
    // A 1x1 stride-1 conv reads every input pixel once: the input itself is `cols`.
    const joined = whole ? xp : taps.length === 1 ? taps[0]! : tf.concat(taps, 3);
    const cols = tf.reshape(joined, [n * ho * wo, kh * kw * cin]) as tf.Tensor2D;
    const dy2 = tf.reshape(dy, [n * ho * wo, cout]) as tf.Tensor2D;
    // Transpose the narrower factor (and, for dy, the small [Cout, KH * KW * Cin] result).
    const dw = cout < kh * kw * cin ? tf.transpose(tf.matMul(tf.transpose(dy2), cols)) : tf.matMul(tf.transpose(cols), dy2);
    return tf.reshape(dw, [kh, kw, cin, cout]);
  });
}

/** Largest `cols` matrix (elements) {@link prefersIm2col} accepts: 64 MB of float32. */
const MAX_COLS = 1 << 24;

/**
 * Whether {@link conv2dFilterGradIm2col} beats the forward-conv formulation on tfjs-wasm for
 * this gradient. The latter is a conv with the batch as its input channels and all of `dy` as
 * its filter, which XNNPACK runs poorly when the reduction `N * H' * W'` is short next to the
 * channels. Measured (tfjs-wasm 4.22, one thread, CPU time): for a 1x1 stride-1 conv (no
 * copy at all) im2col is 1.2-2x faster at any size; for 3x3 it is up to 1.3x faster while
 * `N * H' * W' < 4 * Cin` (batch 1-2 at 8x8 and 128 channels) and 1.1-3x slower beyond
 * (batch 8 at 8x8 and 128 channels, or 32x32 at 32).
 */
export function prefersIm2col(xShape: readonly number[], dyShape: readonly number[], filterShape: readonly number[]): boolean {
  const [, h, w] = xShape as [number, number, number, number];
  const [n, ho, wo] = dyShape as [number, number, number, number];
  const [kh, kw, cin] = filterShape as [number, number, number, number];
  const rows = n * ho * wo;
  if (kh === 1 && kw === 1 && ho === h && wo === w) return true;
  return rows < 4 * cin && rows * kh * kw * cin <= MAX_COLS;
}
