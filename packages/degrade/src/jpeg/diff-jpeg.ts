import * as tf from '@tensorflow/tfjs-core';
import { check } from '../errors.js';
import { C_TABLE, DCT_BASIS, DCT_SCALE, IDCT_ALPHA, IDCT_BASIS, qualityToFactor, RGB_TO_YCBCR, Y_TABLE, YCBCR_TO_RGB } from './tables.js';

/** Options of {@link diffJpeg}. */
export interface DiffJpegOptions {
  /**
   * Replace rounding of the quantized coefficients by `round(x) + (x - round(x))^3`, whose
   * gradient is not zero (DiffJPEG's `differentiable=True`). Default `false`: plain
   * round-half-to-even, as Real-ESRGAN uses it (`DiffJPEG(differentiable=False)`).
   */
  readonly differentiable?: boolean;
}

/** JPEG quality for the whole batch, one per sample, or a `[N]` tensor. */
export type JpegQuality = number | readonly number[] | tf.Tensor1D;

function roundCoefficients(x: tf.Tensor, differentiable: boolean): tf.Tensor {
  const r = tf.round(x);
  if (!differentiable) {
    return r;
  }
  const d = tf.sub(x, r);
  return tf.add(r, tf.mul(tf.mul(d, d), d));
}

/** `[M, H, W]` planes to `[M, H/8 * W/8, 64]` blocks, row-major over blocks. */
function toBlocks(planes: tf.Tensor3D): tf.Tensor3D {
  const [m, h, w] = planes.shape;
  const split = tf.reshape(planes, [m, h / 8, 8, w / 8, 8]);
  return tf.reshape(tf.transpose(split, [0, 1, 3, 2, 4]), [m, (h / 8) * (w / 8), 64]);
}

/** Inverse of {@link toBlocks}. */
function fromBlocks(blocks: tf.Tensor3D, h: number, w: number): tf.Tensor3D {
  const m = blocks.shape[0];
  const grid = tf.reshape(blocks, [m, h / 8, w / 8, 8, 8]);
  return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4]), [m, h, w]);
}

/**
 * DCT, quantization with `table * factor`, rounding, dequantization and inverse DCT of
 * every 8x8 block of level-shifted planes `[M, H, W]` (values in [0, 255]).
 */
function codePlanes(planes: tf.Tensor3D, table: Float32Array, factor: tf.Tensor1D, differentiable: boolean): tf.Tensor3D {
  const [m, h, w] = planes.shape;
  const blocks = toBlocks(planes);
  const b = blocks.shape[1];
  const flat = tf.reshape(tf.sub(blocks, 128), [m * b, 64]);
  const coefficients = tf.mul(tf.reshape(tf.matMul(flat, tf.tensor2d(DCT_BASIS, [64, 64])), [m, b, 64]), tf.tensor1d(DCT_SCALE));
  const q = tf.mul(tf.reshape(tf.tensor1d(table), [1, 1, 64]), tf.reshape(factor, [m, 1, 1]));
  const dequantized = tf.mul(roundCoefficients(tf.div(coefficients, q), differentiable), q);
  const weighted = tf.reshape(tf.mul(dequantized, tf.tensor1d(IDCT_ALPHA)), [m * b, 64]);
  const spatial = tf.add(tf.mul(tf.matMul(weighted, tf.tensor2d(IDCT_BASIS, [64, 64])), 0.25), 128);
  return fromBlocks(tf.reshape(spatial, [m, b, 64]), h, w);
}

/**
 * Repeats every pixel of `[N, h, w, C]` into a 2x2 square. Two rank-4 tiles (tfjs has no
 * tile gradient above rank 5).
 */
function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const wide = tf.tile(tf.reshape(x, [n * h, w, 1, c]), [1, 1, 2, 1]);
  const tall = tf.tile(tf.reshape(wide, [n, h, 1, 2 * w * c]), [1, 1, 2, 1]);
  return tf.reshape(tall, [n, 2 * h, 2 * w, c]);
}

function factors(quality: JpegQuality, n: number): tf.Tensor1D {
  if (typeof quality === 'number' || Array.isArray(quality)) {
    const list: readonly number[] = typeof quality === 'number' ? new Array<number>(n).fill(quality) : quality;
    check(list.length === n, () => `diffJpeg: got ${list.length} qualities for ${n} images; pass one number or one per image.`);
    check(list.every((q) => Number.isFinite(q) && q > 0 && q < 100), () => `diffJpeg: quality must be in (0, 100), got [${list.join(', ')}] (100 makes DiffJPEG's tables zero).`);
    return tf.tensor1d(list.map(qualityToFactor), 'float32');
  }
  const q = quality as tf.Tensor1D;
  check(q.rank === 1 && q.shape[0] === n, () => `diffJpeg: a quality tensor must have shape [${n}], got [${q.shape.join(', ')}].`);
  const scaled = tf.where(tf.less(q, 50), tf.div(5000, q), tf.sub(200, tf.mul(q, 2)));
  return tf.div(scaled, 100) as tf.Tensor1D;
}

/**
 * JPEG compression and decompression as tensor ops with BasicSR's DiffJPEG semantics
 * (`basicsr.utils.diffjpeg.DiffJPEG`, as Real-ESRGAN applies it): pad H and W with zeros to
 * multiples of 16, RGB -> YCbCr (JFIF, level shift 128), 4:2:0 chroma by 2x2 averaging,
 * 8x8 DCT, quantization by DiffJPEG's (transposed) standard tables scaled by
 * {@link qualityToFactor} (not rounded or clamped as libjpeg would), rounding, then the
 * inverse: dequantize, inverse DCT, nearest-neighbour chroma upsampling, YCbCr -> RGB,
 * clamp to [0, 255], crop. The output is not quantized to 8 bits, and it differs slightly
 * from a real JPEG codec (OpenCV/libjpeg), exactly as DiffJPEG does.
 *
 * @param images NHWC `[N, H, W, 3]`, RGB float32 in [0, 1] (clamp first: Real-ESRGAN does).
 * @param quality JPEG quality in (0, 100): one for the batch, one per sample, or a `[N]` tensor
 *   (not range-checked).
 * @returns NHWC `[N, H, W, 3]`, float32 in [0, 1]. Differentiable with respect to `images`
 *   (almost everywhere zero through the rounding unless `differentiable`).
 * @throws {@link DegradeError} on a wrong shape or quality.
 */
export function diffJpeg(images: tf.Tensor4D, quality: JpegQuality, options: DiffJpegOptions = {}): tf.Tensor4D {
  check(images.rank === 4 && images.shape[3] === 3, () => `diffJpeg: images must be NHWC RGB [N, H, W, 3], got shape [${images.shape.join(', ')}].`);
  const differentiable = options.differentiable ?? false;
  const [n, h, w] = images.shape;
  const hp = Math.ceil(h / 16) * 16;
  const wp = Math.ceil(w / 16) * 16;
  return tf.tidy(() => {
    const factor = factors(quality, n);
    const padded = tf.pad(images, [[0, 0], [0, hp - h], [0, wp - w], [0, 0]]);
    const rgb = tf.reshape(tf.mul(padded, 255), [n * hp * wp, 3]);
    const ycc = tf.reshape(tf.add(tf.matMul(rgb, tf.tensor2d(RGB_TO_YCBCR, [3, 3])), tf.tensor1d([0, 128, 128])), [n, hp, wp, 3]);

    const y = tf.reshape(tf.slice(ycc, [0, 0, 0, 0], [n, hp, wp, 1]), [n, hp, wp]) as tf.Tensor3D;
    const chroma = tf.avgPool(tf.slice(ycc, [0, 0, 0, 1], [n, hp, wp, 2]) as tf.Tensor4D, 2, 2, 'valid');
    const chromaPlanes = tf.reshape(tf.transpose(chroma, [0, 3, 1, 2]), [n * 2, hp / 2, wp / 2]) as tf.Tensor3D;
    const chromaFactor = tf.reshape(tf.tile(tf.reshape(factor, [n, 1]), [1, 2]), [n * 2]) as tf.Tensor1D;

    const yOut = codePlanes(y, Y_TABLE, factor, differentiable);
    const cOut = codePlanes(chromaPlanes, C_TABLE, chromaFactor, differentiable);

    // Nearest-neighbour 2x upsampling of Cb and Cr back to full resolution.
    const cHwc = tf.transpose(tf.reshape(cOut, [n, 2, hp / 2, wp / 2]), [0, 2, 3, 1]) as tf.Tensor4D;
    const cUp = upsampleNearest2x(cHwc);
    const yccOut = tf.concat([tf.reshape(yOut, [n, hp, wp, 1]), cUp], 3);

    const shifted = tf.reshape(tf.add(yccOut, tf.tensor1d([0, -128, -128])), [n * hp * wp, 3]);
    const rgbOut = tf.reshape(tf.matMul(shifted, tf.tensor2d(YCBCR_TO_RGB, [3, 3])), [n, hp, wp, 3]);
    const clamped = tf.div(tf.clipByValue(rgbOut, 0, 255), 255);
    return tf.slice(clamped, [0, 0, 0, 0], [n, h, w, 3]) as tf.Tensor4D;
  });
}
