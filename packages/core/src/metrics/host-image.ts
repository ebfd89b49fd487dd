import type * as tf from '@tensorflow/tfjs-core';
import { MetricError } from './errors.js';

/**
 * An image on the host for the metrics: `data` is interleaved HWC, row-major, values in
 * `[0, 255]` (any numeric array; integers or floats).
 */
export interface MetricHostImage {
  /** `height * width * channels` values, interleaved HWC, row-major, in `[0, 255]`. */
  readonly data: ArrayLike<number>;
  /** Height in pixels. */
  readonly height: number;
  /** Width in pixels. */
  readonly width: number;
  /** Channels per pixel, usually 3 (RGB) or 1 (gray). */
  readonly channels: number;
}

/**
 * What the metrics accept: a host image, or a tensor in `[0, 255]` shaped `[H, W]`,
 * `[H, W, C]` or `[1, H, W, C]` (HWC / NHWC).
 */
export type MetricInput = MetricHostImage | tf.Tensor;

/** A float64 copy of one image, HWC. */
export interface Float64Image {
  readonly data: Float64Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

function isTensor(x: MetricInput): x is tf.Tensor {
  return typeof (x as tf.Tensor).dataId === 'object' && Array.isArray((x as tf.Tensor).shape);
}

/** HWC dimensions of a tensor shape, as BasicSR's `reorder_image` reads them. */
function tensorDims(shape: readonly number[]): [number, number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!, 1];
  if (shape.length === 3) return [shape[0]!, shape[1]!, shape[2]!];
  if (shape.length === 4 && shape[0] === 1) return [shape[1]!, shape[2]!, shape[3]!];
  throw new MetricError(
    `Tensor of shape [${shape.join(', ')}] is not one image: pass [H, W], [H, W, C] or [1, H, W, C] (call the metric once per image of a batch).`,
  );
}

/**
 * Reads a metric input into a float64 HWC image. Tensors are downloaded (not disposed:
 * they stay the caller's).
 */
export async function readMetricInput(x: MetricInput): Promise<Float64Image> {
  if (isTensor(x)) {
    const [height, width, channels] = tensorDims(x.shape);
    return { data: Float64Array.from(await x.data()), height, width, channels };
  }
  return hostToFloat64(x);
}

/** Validates a host image and copies it to float64. */
export function hostToFloat64(x: MetricHostImage): Float64Image {
  const { height, width, channels } = x;
  for (const [name, v] of [['height', height], ['width', width], ['channels', channels]] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new MetricError(`Image ${name} ${v} is invalid: pass a positive integer.`);
    }
  }
  if (x.data.length !== height * width * channels) {
    throw new MetricError(
      `Image data has ${x.data.length} values but ${height}x${width}x${channels} needs ${height * width * channels}: pass interleaved HWC data.`,
    );
  }
  return { data: Float64Array.from(x.data), height, width, channels };
}

/** Throws unless both images have the same HWC shape (BasicSR asserts the same). */
export function assertSameShape(a: Float64Image, b: Float64Image): void {
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new MetricError(
      `Image shapes differ: ${a.height}x${a.width}x${a.channels} vs ${b.height}x${b.width}x${b.channels}: resize or crop them to the same size first.`,
    );
  }
}
