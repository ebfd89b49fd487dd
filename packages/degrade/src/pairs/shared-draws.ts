import type * as tf from '@tensorflow/tfjs-core';
import type { Degradation, Rng } from '@yonos/core';
import { check } from '../errors.js';
import { ShapeStableRng } from './shape-stable-rng.js';

const TAG = 'shared-draws';

/**
 * Degrades one HR batch at several scales from the same degradation sample: each scale's
 * call gets an identical {@link ShapeStableRng} (the same fork of `rng`), so a pipeline
 * whose sequence of random calls does not depend on the output size (both of this
 * package's do) makes the same choices at every scale — the same blur kernels, resize
 * factors and modes, noise kinds and levels, JPEG qualities — and the same noise fields
 * wherever the tensors have the same shape (all of Real-ESRGAN's first pass, which works
 * at HR size). Only what depends on the target size differs.
 *
 * `rng` is advanced by two draws, so repeated calls give new samples.
 *
 * @param hr NHWC `[N, H, W, 3]`, float32 in `[0, 1]`; H and W divisible by every scale.
 * @param scales Integer downscaling factors, e.g. `[4, 2]`; equal scales give equal outputs.
 * @param degradation Any {@link Degradation} (`BicubicDegradation`, `RealESRGANDegradation`, ...).
 * @param rng Source of the sample.
 * @returns One NHWC `[N, H/s, W/s, 3]` float32 tensor in `[0, 1]` per scale, in order; the caller disposes them.
 * @throws {@link DegradeError} if `scales` is empty or a scale is not a positive integer dividing H and W.
 */
export function degradeWithSharedDraws(hr: tf.Tensor4D, scales: readonly number[], degradation: Degradation, rng: Rng): tf.Tensor4D[] {
  check(hr.rank === 4, () => `degradeWithSharedDraws: hr must be NHWC rank 4, got shape [${hr.shape.join(', ')}].`);
  const [, h, w] = hr.shape;
  check(scales.length > 0, () => 'degradeWithSharedDraws: pass at least one scale, e.g. [4, 2].');
  for (const s of scales) {
    check(Number.isInteger(s) && s >= 1 && h % s === 0 && w % s === 0, () => `degradeWithSharedDraws: every scale must be a positive integer dividing H and W (${h}x${w}), got ${s}; crop the HR batch to a multiple of the scales.`);
  }
  const key = `${TAG}:${rng.nextInt(0, 0xffffffff)}:${rng.nextInt(0, 0xffffffff)}`;
  const outs: tf.Tensor4D[] = [];
  try {
    for (const s of scales) {
      // A fresh fork per scale: forks depend only on the seed and the key, so every scale starts from the same state.
      outs.push(degradation.degrade(hr, s, new ShapeStableRng(rng.fork(key))));
    }
    return outs;
  } catch (err) {
    for (const t of outs) t.dispose();
    throw err;
  }
}
