import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '@yonos/core';
import type { Degradation, Rng } from '@yonos/core';
import { check } from '../errors.js';
import { degradeWithSharedDraws } from './shared-draws.js';

/**
 * The inputs of one scale-distillation step. All four tensors belong to the caller
 * (`tf.dispose(pair)` frees them: a type alias rather than an interface, so it is a
 * `TensorContainer`).
 */
export type DistillationPair = {
  /** The student's input: NHWC `[N, H/f, W/f, 3]`, float32 in `[0, 1]`. */
  readonly student: tf.Tensor4D;
  /** The teacher's input, from the same degradation sample: NHWC `[N, 2H/f, 2W/f, 3]`, float32 in `[0, 1]`. */
  readonly teacher: tf.Tensor4D;
  /**
   * `student` upsampled back to HR size with core's MATLAB bicubic (`imresize`): NHWC
   * `[N, H, W, 3]`, float32, nominally `[0, 1]` but not clamped (bicubic overshoots at
   * edges), exactly as `YonosPipeline` upsamples an LR input before encoding it.
   */
  readonly studentUp: tf.Tensor4D;
  /** `teacher` upsampled back to HR size the same way: NHWC `[N, H, W, 3]`, float32, not clamped. */
  readonly teacherUp: tf.Tensor4D;
};

/**
 * Makes the inputs of scale distillation for target factor `f`: the student sees the HR
 * batch degraded to `1/f` of its size, the teacher (trained for `f/2`) the same batch
 * degraded to `2/f`, both drawn from one degradation sample (see
 * {@link degradeWithSharedDraws}: same kernels, noise levels, JPEG qualities and, where the
 * shapes agree, noise fields; for `BicubicDegradation` both are plain bicubic downscales of
 * the same HR), and both upsampled back to HR size with the same bicubic, which is what the
 * latent encoder of each network receives.
 *
 * Both the LR tensors and the upsampled ones are returned: the trainer encodes the
 * upsampled pair, while the LR images are what a dataset writer or a preview saves.
 * `rng` is advanced by two draws, so successive batches get new samples.
 *
 * @param hr NHWC `[N, H, W, 3]`, float32 in `[0, 1]`; H and W divisible by `factor`.
 * @param factor The student's factor: an even integer (2, 4, 8, ...); the teacher's is `factor / 2`.
 * @param degradation The degradation both inputs come from.
 * @param rng Source of the degradation sample.
 * @returns See {@link DistillationPair}; the caller owns the tensors.
 * @throws {@link DegradeError} if `factor` is not an even integer, or H or W is not divisible by it.
 */
export function makeDistillationPair(hr: tf.Tensor4D, factor: number, degradation: Degradation, rng: Rng): DistillationPair {
  check(hr.rank === 4, () => `makeDistillationPair: hr must be NHWC rank 4, got shape [${hr.shape.join(', ')}].`);
  const [, h, w] = hr.shape;
  check(Number.isInteger(factor) && factor >= 2 && factor % 2 === 0, () => `makeDistillationPair: factor must be an even integer >= 2 (the teacher works at factor / 2), got ${factor}.`);
  check(h % factor === 0 && w % factor === 0, () => `makeDistillationPair: HR size ${h}x${w} is not divisible by the factor ${factor}; crop the batch to a multiple of ${factor}.`);
  const [student, teacher] = degradeWithSharedDraws(hr, [factor, factor / 2], degradation, rng) as [tf.Tensor4D, tf.Tensor4D];
  try {
    const size = { height: h, width: w };
    const [studentUp, teacherUp] = tf.tidy(() => [imresize(student, size), imresize(teacher, size)]);
    return { student, teacher, studentUp: studentUp!, teacherUp: teacherUp! };
  } catch (err) {
    tf.dispose([student, teacher]);
    throw err;
  }
}
