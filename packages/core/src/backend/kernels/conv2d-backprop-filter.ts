import * as tf from '@tensorflow/tfjs-core';
import { conv2dFilterGradIm2col, prefersIm2col } from './conv2d-filter-grad-im2col.js';
import { asTensor, convWindow, pair, padToNHWC, padOrCrop, splitPad } from './tensor-args.js';
import type { ConvPad, DimRoundingMode } from './tensor-args.js';
import { isWasmHeapBackend } from './wasm-heap.js';

/**
 * Gradient of an NHWC `conv2d` (dilation 1) with respect to its filter, computed as one
 * forward convolution in which batch and channels trade places:
 * `dW[kh, kw, ci, co] = sum_{n,i,j} xpad[n, i*sh + kh, j*sw + kw, ci] * dy[n, i, j, co]`
 * is a conv of `x` transposed to `[Cin, H, W, N]` with `dy` as the filter `[H', W', N, Cout]`,
 * dilated by the forward stride, 'valid' over the forward padding. Forward convolutions are
 * the fastest kernel on wasm (XNNPACK), far faster than im2col + matMul at batch 8+.
 * Any stride, padding ('same', 'valid', numeric, explicit) and rounding mode.
 * @param x NHWC `[N, H, W, Cin]`, float32.
 * @param dy NHWC `[N, H', W', Cout]`: gradient of the forward output.
 * @param filterShape `[KH, KW, Cin, Cout]`.
 * @returns `[KH, KW, Cin, Cout]`, float32.
 */
export function conv2dFilterGradViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  strides: number | readonly [number, number],
  pad: ConvPad,
  dimRoundingMode?: DimRoundingMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filterShape;
    const [sh, sw] = pair(strides);
    const win = convWindow(x.shape, filterShape, [sh, sw], pad, dimRoundingMode);
    const [, h, w] = x.shape;
    const [, ho, wo] = dy.shape;
    // Rows the forward conv read, in x coordinates: [-top, (ho-1)*sh + kh - 1 - top].
    const top = splitPad(win.top);
    const bottom = splitPad((ho - 1) * sh + kh - win.top - h);
    const left = splitPad(win.left);
    const right = splitPad((wo - 1) * sw + kw - win.left - w);
    let xt = tf.transpose(x, [3, 1, 2, 0]);
    xt = padOrCrop(xt, top.crop, bottom.crop, left.crop, right.crop);
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]);
    const out = tf.conv2d(
      xt,
      dyAsFilter,
      1,
      [
        [0, 0],
        [top.pad, bottom.pad],
        [left.pad, right.pad],
        [0, 0],
      ],
      'NHWC',
      [sh, sw],
    );
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/** Attributes tfjs passes to the `Conv2DBackpropFilter` kernel. */
interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: DimRoundingMode;
  filterShape: [number, number, number, number];
}

/**
 * `Conv2DBackpropFilter` for any backend, through {@link conv2dFilterGradViaConv}, or on
 * tfjs-wasm through {@link conv2dFilterGradIm2col} for 1x1 convs and the short reductions where
 * that measured faster ({@link prefersIm2col}); NCHW is transposed to NHWC.
 */
export const conv2DBackpropFilterKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  return tf.tidy(() => {
    let x = asTensor<tf.Tensor4D>(inputs['x'], 'x');
    let dy = asTensor<tf.Tensor4D>(inputs['dy'], 'dy');
    if (a.dataFormat === 'NCHW') {
      x = tf.transpose(x, [0, 2, 3, 1]);
      dy = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const grad = isWasmHeapBackend(backend) && prefersIm2col(x.shape, dy.shape, a.filterShape) ? conv2dFilterGradIm2col : conv2dFilterGradViaConv;
    return grad(x, dy, a.filterShape, pair(a.strides), padToNHWC(a.pad, a.dataFormat), a.dimRoundingMode);
  });
};
