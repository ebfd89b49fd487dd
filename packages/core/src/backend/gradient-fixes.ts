import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient of `mirrorPad` with the reflected borders folded back. tfjs-core 4.22's own
 * gradient only slices the centre out of `dy`, dropping what the mirrored copies received,
 * which is wrong for any loss that reads the padded border (reflect-padded convolutions).
 */
const mirrorPadGradConfig: tf.GradConfig = {
  kernelName: 'MirrorPad',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    if (x === undefined || Array.isArray(dy)) throw new Error('MirrorPad gradient: unexpected saved tensors');
    const { paddings, mode } = attrs as unknown as { paddings: Array<[number, number]>; mode: 'reflect' | 'symmetric' };
    return { x: () => foldMirror(dy, x.shape, paddings, mode) };
  },
};

/** Sum every border element of `dy` into the input element it mirrors, axis by axis (mirror padding is separable). */
function foldMirror(
  dy: tf.Tensor,
  xShape: readonly number[],
  paddings: ReadonlyArray<readonly [number, number]>,
  mode: 'reflect' | 'symmetric',
): tf.Tensor {
  const shift = mode === 'reflect' ? 1 : 0;
  let g = dy;
  paddings.forEach(([before, after], axis) => {
    if (before === 0 && after === 0) return;
    const len = xShape[axis] ?? 0;
    const sizeAlong = (n: number): number[] => g.shape.map((s, i) => (i === axis ? n : s));
    const beginAt = (b: number): number[] => g.shape.map((_, i) => (i === axis ? b : 0));
    const padAlong = (lo: number, hi: number): Array<[number, number]> => g.shape.map((_, i) => (i === axis ? [lo, hi] : [0, 0]));
    let sum = tf.slice(g, beginAt(before), sizeAlong(len));
    if (before > 0) {
      // dy[before - 1 - t] mirrors x[shift + t].
      const head = tf.reverse(tf.slice(g, beginAt(0), sizeAlong(before)), axis);
      sum = tf.add(sum, tf.pad(head, padAlong(shift, len - shift - before)));
    }
    if (after > 0) {
      // dy[before + len + t] mirrors x[len - 1 - shift - t].
      const tail = tf.reverse(tf.slice(g, beginAt(before + len), sizeAlong(after)), axis);
      sum = tf.add(sum, tf.pad(tail, padAlong(len - shift - after, shift)));
    }
    g = sum;
  });
  return g;
}

/** Register YONOS's corrections to tfjs-core gradients. Call after tfjs-core's own are registered. */
export function registerGradientFixes(): void {
  tf.registerGradient(mirrorPadGradConfig);
}
