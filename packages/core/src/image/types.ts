import type * as tf from '@tensorflow/tfjs-core';

/** Bits per channel of integer pixel data. */
export type BitDepth = 8 | 16;

/** Channels per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
export type ChannelCount = 1 | 2 | 3 | 4;

/**
 * Decoded pixels as they come from or go to a file or canvas: interleaved HWC, row-major,
 * unsigned integers in `[0, 2^bitDepth - 1]`. Alpha, when present, is the last channel
 * and straight (not premultiplied).
 */
export interface RawImage {
  /** `width * height * channels` values: `Uint8Array`/`Uint8ClampedArray` for 8 bits, `Uint16Array` for 16. */
  readonly data: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Interleaved channels per pixel (gray, gray + alpha, RGB or RGBA). */
  readonly channels: ChannelCount;
  /** Bits per channel value: 8 (`0..255`) or 16 (`0..65535`). */
  readonly bitDepth: BitDepth;
}

/**
 * An image ready for the model, with what is needed to write it back the way it came.
 * The caller owns the tensors (see {@link disposeModelImage}).
 */
export interface ModelImage {
  /** NHWC `[1, H, W, 3]`, float32 in `[-1, 1]`; gray inputs are replicated to three channels. */
  readonly rgb: tf.Tensor4D;
  /** NHWC `[1, H, W, 1]`, float32 in `[0, 1]` (1 = opaque); absent for opaque images. */
  readonly alpha?: tf.Tensor4D;
  /** True if the source had one gray channel (plus alpha), so it can be written back gray. */
  readonly wasGray: boolean;
  /** Bit depth of the source, the default bit depth to write back. */
  readonly bitDepth: BitDepth;
}
