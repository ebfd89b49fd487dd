import * as tf from '@tensorflow/tfjs-core';

/**
 * How a parameter is stored in PyTorch versus here.
 * - `'conv2d'`: PyTorch OIHW `[out, in, kh, kw]` <-> native HWIO `[kh, kw, in, out]` (the `tf.conv2d` filter).
 * - `'linear'`: PyTorch `[out, in]` <-> native `[in, out]` (so `y = x @ W`).
 * - `'plain'`: identical in both (biases, norm scales, embeddings).
 */
export type LayoutKind = 'conv2d' | 'linear' | 'plain';

/** Which side of the boundary a state dict is on: PyTorch layouts (safetensors files) or this library's own. */
export type StateDictLayout = 'torch' | 'native';

const HWIO_TO_OIHW = [3, 2, 0, 1];
const OIHW_TO_HWIO = [2, 3, 1, 0];

function permute(shape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((axis) => shape[axis]!);
}

/** The PyTorch shape of a parameter whose native shape is `nativeShape`. */
export function torchShapeOf(kind: LayoutKind, nativeShape: readonly number[]): number[] {
  if (kind === 'conv2d' && nativeShape.length === 4) return permute(nativeShape, HWIO_TO_OIHW);
  if (kind === 'linear' && nativeShape.length === 2) return [nativeShape[1]!, nativeShape[0]!];
  return [...nativeShape];
}

/** The native shape of a parameter whose PyTorch shape is `torchShape`. */
export function nativeShapeOf(kind: LayoutKind, torchShape: readonly number[]): number[] {
  if (kind === 'conv2d' && torchShape.length === 4) return permute(torchShape, OIHW_TO_HWIO);
  if (kind === 'linear' && torchShape.length === 2) return [torchShape[1]!, torchShape[0]!];
  return [...torchShape];
}

/**
 * Converts a native-layout value to PyTorch layout. Always returns a new tensor (a clone for
 * `'plain'`), which the caller disposes.
 */
export function nativeToTorch(kind: LayoutKind, value: tf.Tensor): tf.Tensor {
  if (kind === 'conv2d' && value.rank === 4) return tf.transpose(value, HWIO_TO_OIHW);
  if (kind === 'linear' && value.rank === 2) return tf.transpose(value);
  return tf.clone(value);
}

/**
 * Converts a PyTorch-layout value to native layout. Returns a new tensor for `'conv2d'` and
 * `'linear'`, and `value` itself for `'plain'` (check identity before disposing).
 */
export function torchToNative(kind: LayoutKind, value: tf.Tensor): tf.Tensor {
  if (kind === 'conv2d' && value.rank === 4) return tf.transpose(value, OIHW_TO_HWIO);
  if (kind === 'linear' && value.rank === 2) return tf.transpose(value);
  return value;
}
