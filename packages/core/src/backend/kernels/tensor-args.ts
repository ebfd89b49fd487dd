import * as tf from '@tensorflow/tfjs-core';

/** Explicit NHWC padding as tfjs ops take it: `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** The `pad` attribute of tfjs convolution kernels. */
export type ConvPad = 'valid' | 'same' | number | ExplicitPadding;

/** Rounding of output sizes for a numeric `pad`, as tfjs convolution kernels take it. */
export type DimRoundingMode = 'floor' | 'round' | 'ceil';

/**
 * A kernel's input as a tensor. The engine passes `tf.Tensor`s to kernels invoked through
 * ops; a backend calling a kernel function directly may pass a bare `TensorInfo`, which is
 * then wrapped (the wrapper shares the data and must be disposed by the caller's tidy).
 */
export function asTensor<T extends tf.Tensor>(info: tf.TensorInfo | undefined, name: string): T {
  if (info === undefined) throw new Error(`kernel input '${name}' is missing`);
  if (info instanceof tf.Tensor) return info as T;
  return tf.engine().makeTensorFromTensorInfo(info) as T;
}

/** `[h, w]` from a tfjs number-or-pair attribute. */
export function pair(v: number | readonly number[]): [number, number] {
  if (typeof v === 'number') return [v, v];
  const [a, b] = v;
  if (a === undefined || b === undefined) throw new Error(`expected a pair of numbers, got [${v.join(', ')}]`);
  return [a, b];
}

/** The `[top, bottom, left, right]` padding and output size tfjs computes for an NHWC convolution. */
export interface ConvWindow {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
  readonly outHeight: number;
  readonly outWidth: number;
}

/** Padding and output size of a forward NHWC conv (dilation 1 unless given), exactly as tfjs kernels compute them. */
export function convWindow(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | readonly number[],
  pad: ConvPad,
  dimRoundingMode?: DimRoundingMode,
  dilations: number | readonly number[] = 1,
  depthwise = false,
): ConvWindow {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(strides),
    pair(dilations),
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  const p = info.padInfo;
  return { top: p.top, bottom: p.bottom, left: p.left, right: p.right, outHeight: info.outHeight, outWidth: info.outWidth };
}

/**
 * Shift the spatial borders of an NHWC tensor: a positive amount adds zero rows/columns,
 * a negative one removes them. Returns `x` itself when nothing changes.
 */
export function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  let out = x;
  const cropT = Math.max(0, -top);
  const cropB = Math.max(0, -bottom);
  const cropL = Math.max(0, -left);
  const cropR = Math.max(0, -right);
  if (cropT + cropB + cropL + cropR > 0) {
    out = tf.slice(out, [0, cropT, cropL, 0], [n, h - cropT - cropB, w - cropL - cropR, c]);
  }
  const padT = Math.max(0, top);
  const padB = Math.max(0, bottom);
  const padL = Math.max(0, left);
  const padR = Math.max(0, right);
  if (padT + padB + padL + padR > 0) {
    out = tf.pad(out, [
      [0, 0],
      [padT, padB],
      [padL, padR],
      [0, 0],
    ]);
  }
  return out;
}

/** Split a signed border into the part a conv's explicit padding takes (>= 0) and the part to crop first (<= 0). */
export function splitPad(amount: number): { pad: number; crop: number } {
  return amount >= 0 ? { pad: amount, crop: 0 } : { pad: 0, crop: amount };
}

/** NCHW attribute pad -> NHWC pad (explicit paddings are listed per dimension of the layout). */
export function padToNHWC(pad: ConvPad, dataFormat: string | undefined): ConvPad {
  if (dataFormat !== 'NCHW' || !Array.isArray(pad)) return pad;
  const [b, c, h, w] = pad as unknown as [[number, number], [number, number], [number, number], [number, number]];
  return [b, h, w, c];
}
