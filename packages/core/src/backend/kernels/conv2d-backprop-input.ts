import * as tf from '@tensorflow/tfjs-core';
import { phaseTaps, polyphaseTransposedConv } from './polyphase.js';
import { asTensor, convWindow, pair, padToNHWC } from './tensor-args.js';
import type { ConvPad, DimRoundingMode } from './tensor-args.js';

/**
 * Gradient of an NHWC `conv2d` (dilation 1) with respect to its input (the transposed
 * convolution), computed with forward convolutions only: for stride 1, one conv of the
 * padded `dy` with the filter flipped spatially and its in/out channels swapped; for stride
 * `s`, one such conv per output phase, interleaved (see `polyphaseTransposedConv` in `polyphase.ts`).
 * Exact; any stride, padding ('same', 'valid', numeric, explicit) and rounding mode.
 * @param inputShape `[N, H, W, Cin]` of the forward input.
 * @param dy NHWC `[N, H', W', Cout]`: gradient of the forward output.
 * @param filter `[KH, KW, Cin, Cout]`.
 * @returns NHWC `[N, H, W, Cin]`, float32.
 */
export function conv2dInputGradViaConv(
  inputShape: readonly [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | readonly [number, number],
  pad: ConvPad,
  dimRoundingMode?: DimRoundingMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const s = pair(strides);
    const win = convWindow(inputShape, filter.shape, s, pad, dimRoundingMode);
    // [KH, KW, Cout, Cin]: a conv over dy's Cout channels producing Cin.
    const swapped = tf.transpose(filter, [0, 1, 3, 2]);
    return polyphaseTransposedConv(
      inputShape,
      dy,
      [filter.shape[0], filter.shape[1]],
      s,
      [win.top, win.left],
      (src, padding, tapBegin, taps) => tf.conv2d(src, phaseTaps(swapped, tapBegin, taps, s), 1, padding),
    );
  });
}

/** Attributes tfjs passes to the `Conv2DBackpropInput` kernel. */
interface Conv2DBackpropInputAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: DimRoundingMode;
  inputShape: [number, number, number, number];
}

/** `Conv2DBackpropInput` for any backend, through {@link conv2dInputGradViaConv}; NCHW is transposed to NHWC. */
export const conv2DBackpropInputKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  return tf.tidy(() => {
    let dy = asTensor<tf.Tensor4D>(inputs['dy'], 'dy');
    const filter = asTensor<tf.Tensor4D>(inputs['filter'], 'filter');
    let inputShape = a.inputShape;
    if (a.dataFormat === 'NCHW') {
      dy = tf.transpose(dy, [0, 2, 3, 1]);
      const [n, c, h, w] = inputShape;
      inputShape = [n, h, w, c];
    }
    const dx = conv2dInputGradViaConv(inputShape, dy, filter, pair(a.strides), padToNHWC(a.pad, a.dataFormat), a.dimRoundingMode);
    return a.dataFormat === 'NCHW' ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
  });
};
