import * as tf from '@tensorflow/tfjs-core';
import { phaseTaps, polyphaseTransposedConv } from './polyphase.js';
import { asTensor, convWindow, pair, padOrCrop, splitPad } from './tensor-args.js';
import type { ConvPad, DimRoundingMode } from './tensor-args.js';

/** Attributes tfjs passes to the depthwise backprop kernels. */
interface DepthwiseBackpropAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: ConvPad;
  dimRoundingMode?: DimRoundingMode;
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

/**
 * A dilated `[KH, KW, C, M]` filter written out with its holes: `[(KH-1)*dh + 1, (KW-1)*dw + 1, C, M]`,
 * zeros between the taps. Lets a dilated convolution's transpose reuse the dilation-1 path.
 */
export function dilateFilter(filter: tf.Tensor4D, dilations: readonly [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filter.shape;
    const [dh, dw] = dilations;
    let f: tf.Tensor3D = tf.reshape(filter, [kh, kw, c * m]);
    if (dh > 1) {
      const rows = tf.concat([tf.expandDims(f, 1), tf.zeros([kh, dh - 1, kw, c * m])], 1);
      f = tf.slice(tf.reshape(rows, [kh * dh, kw, c * m]) as tf.Tensor3D, [0, 0, 0], [(kh - 1) * dh + 1, kw, c * m]);
    }
    if (dw > 1) {
      const rowsNow = f.shape[0];
      const cols = tf.concat([tf.expandDims(f, 2), tf.zeros([rowsNow, kw, dw - 1, c * m])], 2);
      f = tf.slice(tf.reshape(cols, [rowsNow, kw * dw, c * m]) as tf.Tensor3D, [0, 0, 0], [rowsNow, (kw - 1) * dw + 1, c * m]);
    }
    return tf.reshape(f, [f.shape[0], f.shape[1], c, m]);
  });
}

/**
 * Input gradient of an NHWC `depthwiseConv2d`: per output phase, a stride-1 depthwise conv of
 * `dy` with the phase's taps reversed, summed over the channel multiplier. Any stride,
 * dilation, padding and rounding mode.
 * @param inputShape `[N, H, W, C]` of the forward input.
 * @param dy NHWC `[N, H', W', C*M]`.
 * @param filter `[KH, KW, C, M]`.
 * @returns NHWC `[N, H, W, C]`, float32.
 */
export function depthwiseInputGradViaConv(
  inputShape: readonly [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | readonly [number, number],
  dilations: number | readonly [number, number],
  pad: ConvPad,
  dimRoundingMode?: DimRoundingMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const s = pair(strides);
    const d = pair(dilations);
    const win = convWindow(inputShape, filter.shape, s, pad, dimRoundingMode, d, true);
    const dense = d[0] > 1 || d[1] > 1 ? dilateFilter(filter, d) : filter;
    const [kh, kw, c, m] = dense.shape;
    return polyphaseTransposedConv(inputShape, dy, [kh, kw], s, [win.top, win.left], (src, padding, tapBegin, taps) => {
      const t = tf.reshape(phaseTaps(dense, tapBegin, taps, s), [taps[0], taps[1], c * m, 1]);
      const out = tf.depthwiseConv2d(src, t as tf.Tensor4D, 1, padding);
      if (m === 1) return out;
      const [n, rows, cols] = out.shape;
      return tf.sum(tf.reshape(out, [n, rows, cols, c, m]), 4);
    });
  });
}

/**
 * Filter gradient of an NHWC `depthwiseConv2d`, as one depthwise conv in which the batch
 * joins the channels: `x` as `[1, H, W, N*C]`, `dy` as the filter `[H', W', N*C, M]`, with the
 * forward stride as dilation and the forward dilation as stride; then summed over N.
 * @param x NHWC `[N, H, W, C]`.
 * @param dy NHWC `[N, H', W', C*M]`.
 * @param filterShape `[KH, KW, C, M]`.
 * @returns `[KH, KW, C, M]`, float32.
 */
export function depthwiseFilterGradViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  strides: number | readonly [number, number],
  dilations: number | readonly [number, number],
  pad: ConvPad,
  dimRoundingMode?: DimRoundingMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filterShape;
    const [sh, sw] = pair(strides);
    const [dh, dw] = pair(dilations);
    const win = convWindow(x.shape, filterShape, [sh, sw], pad, dimRoundingMode, [dh, dw], true);
    const [n, h, w] = x.shape;
    const [, ho, wo] = dy.shape;
    const top = splitPad(win.top);
    const bottom = splitPad((ho - 1) * sh + (kh - 1) * dh + 1 - win.top - h);
    const left = splitPad(win.left);
    const right = splitPad((wo - 1) * sw + (kw - 1) * dw + 1 - win.left - w);
    let xt: tf.Tensor4D = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c]);
    xt = padOrCrop(xt, top.crop, bottom.crop, left.crop, right.crop);
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [top.pad, bottom.pad],
      [left.pad, right.pad],
      [0, 0],
    ];
    let out: tf.Tensor4D;
    if ((sh === 1 && sw === 1) || (dh === 1 && dw === 1)) {
      const dyAsFilter: tf.Tensor4D = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [ho, wo, n * c, m]);
      out = tf.depthwiseConv2d(xt, dyAsFilter, [dh, dw], padding, 'NHWC', [sh, sw]);
    } else {
      // tfjs refuses stride and dilation both above 1 (and so does the forward op); kept for completeness.
      out = filterGradByTaps(tf.pad(xt, padding), dy, [kh, kw], [sh, sw], [dh, dw], [n, c, m]);
    }
    return tf.sum(tf.reshape(out, [kh, kw, n, c, m]), 2);
  });
}

/** `[1, KH, KW, N*C*M]` one tap at a time: a strided slice of the padded input times `dy`, summed. */
function filterGradByTaps(
  xPadded: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilations: readonly [number, number],
  [n, c, m]: readonly [number, number, number],
): tf.Tensor4D {
  const [, ho, wo] = dy.shape;
  const dy5 = tf.transpose(tf.reshape(dy, [n, ho, wo, c, m]), [1, 2, 0, 3, 4]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const r0 = i * dilations[0];
      const c0 = j * dilations[1];
      const win = tf.stridedSlice(
        xPadded,
        [0, r0, c0, 0],
        [1, r0 + (ho - 1) * strides[0] + 1, c0 + (wo - 1) * strides[1] + 1, n * c],
        [1, strides[0], strides[1], 1],
      );
      const prod = tf.mul(tf.reshape(win, [ho, wo, n, c, 1]), dy5);
      taps.push(tf.reshape(tf.sum(prod, [0, 1]), [n * c * m]));
    }
  }
  return tf.reshape(tf.stack(taps), [1, kernel[0], kernel[1], n * c * m]);
}

/** `DepthwiseConv2dNativeBackpropInput` for any backend, through {@link depthwiseInputGradViaConv}. */
export const depthwiseBackpropInputKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as DepthwiseBackpropAttrs;
  if (a.inputShape === undefined) throw new Error('DepthwiseConv2dNativeBackpropInput: attribute inputShape is missing');
  const inputShape = a.inputShape;
  return tf.tidy(() =>
    depthwiseInputGradViaConv(
      inputShape,
      asTensor<tf.Tensor4D>(inputs['dy'], 'dy'),
      asTensor<tf.Tensor4D>(inputs['filter'], 'filter'),
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
    ),
  );
};

/** `DepthwiseConv2dNativeBackpropFilter` for any backend, through {@link depthwiseFilterGradViaConv}. */
export const depthwiseBackpropFilterKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as DepthwiseBackpropAttrs;
  if (a.filterShape === undefined) throw new Error('DepthwiseConv2dNativeBackpropFilter: attribute filterShape is missing');
  const filterShape = a.filterShape;
  return tf.tidy(() =>
    depthwiseFilterGradViaConv(
      asTensor<tf.Tensor4D>(inputs['x'], 'x'),
      asTensor<tf.Tensor4D>(inputs['dy'], 'dy'),
      filterShape,
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
    ),
  );
};
