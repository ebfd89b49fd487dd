import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from './tensor-args.js';

/** Attributes tfjs passes to the `Sum` kernel. */
interface SumAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/** How many leading axes a `Sum` reduces, when it reduces exactly `[0, k)` with `0 < k < rank`; else 0. */
function leadingAxes(x: tf.TensorInfo, axis: number | number[]): number {
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  const k = axes.length;
  if (k === 0 || k >= x.shape.length) return 0;
  return axes.every((a, i) => a === i) ? k : 0;
}

/**
 * Whether a `Sum` call reduces float32 data over leading axes only (`[R, ...rest]` ->
 * `rest`): every bias gradient (`dy` summed over batch and positions). tfjs-wasm 4.22 moves
 * the reduced axes innermost with a full transpose first, 25-30x slower than the product below.
 */
export function isLeadingAxesSum(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): boolean {
  const x = inputs['x'];
  return (
    x !== undefined &&
    x.dtype === 'float32' &&
    tf.util.sizeFromShape(x.shape) > 0 &&
    leadingAxes(x, (attrs as unknown as SumAttrs).axis) > 0
  );
}

/**
 * `Sum` over leading axes as one plain matrix product, `ones[1, R] x[R, C]`, which backends
 * run with their matMul (XNNPACK on wasm): one read of `x`, no transpose. Registered for
 * tfjs-backend-wasm where {@link isLeadingAxesSum} holds. Input `x` float32; attributes
 * `axis`, `keepDims`; output `rest` (with ones in front when `keepDims`).
 */
export const sumLeadingAxesKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const { axis, keepDims } = attrs as unknown as SumAttrs;
  return tf.tidy(() => {
    const x = asTensor(inputs['x'], 'x');
    const k = leadingAxes(x, axis);
    if (k === 0) throw new Error('sumLeadingAxesKernel: the reduced axes are not leading axes');
    const rest = x.shape.slice(k);
    const r = tf.util.sizeFromShape(x.shape.slice(0, k));
    const c = tf.util.sizeFromShape(rest);
    const s = tf.matMul(tf.ones([1, r]), tf.reshape(x, [r, c]) as tf.Tensor2D);
    return tf.reshape(s, keepDims === true ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest);
  });
};
