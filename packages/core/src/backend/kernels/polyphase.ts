import * as tf from '@tensorflow/tfjs-core';
import { padOrCrop, splitPad } from './tensor-args.js';
import type { ExplicitPadding } from './tensor-args.js';

/** One output phase along one axis (rows `p, p + s, p + 2s, ...` of the result). */
interface Phase {
  /** First filter tap of this phase. */
  readonly tap: number;
  /** Number of taps (every `s`-th from `tap`). */
  readonly taps: number;
  /** Rows of the result in this phase. */
  readonly size: number;
  /** Zero rows to add before `dy` (negative: rows to drop). */
  readonly before: number;
  /** Zero rows to add after `dy` (negative: rows to drop). */
  readonly after: number;
}

/**
 * For `dx[h] = sum_{i, k : i*s + k - padBefore = h} dy[i] * w[k]`: with `h = s*a + p`, the
 * taps are `k = r + s*u` with `r = (p + padBefore) mod s`, and `i = a + floor((p + padBefore)/s) - u`,
 * so each phase is a plain stride-1 correlation of `dy` with taps `r + s*(U-1), ..., r`.
 */
function phases(length: number, dyLength: number, k: number, s: number, padBefore: number): Phase[] {
  const out: Phase[] = [];
  for (let p = 0; p < s; p++) {
    const size = Math.max(0, Math.ceil((length - p) / s));
    const tap = (p + padBefore) % s;
    const taps = Math.max(0, Math.ceil((k - tap) / s));
    const c = Math.floor((p + padBefore) / s);
    out.push({ tap, taps, size, before: taps - 1 - c, after: size + c - dyLength });
  }
  return out;
}

/**
 * Computes one phase: a stride-1 'valid' correlation of `src` (after the explicit `padding`)
 * with the filter taps `tapBegin + stride * t` for `t < taps`, in reverse order.
 * Must return NHWC `[N, rows, cols, C]` of the phase.
 */
export type PhaseCorrelation = (
  src: tf.Tensor4D,
  padding: ExplicitPadding,
  tapBegin: readonly [number, number],
  taps: readonly [number, number],
) => tf.Tensor4D;

/**
 * A transposed convolution (the input gradient of a strided convolution, dilation 1) as
 * `s_h * s_w` stride-1 correlations, one per output phase, interleaved. No multiply is spent
 * on the zeros a "dilate dy, then convolve" formulation would insert.
 * @param outShape `[N, H, W, C]` of the forward input (the result).
 * @param dy NHWC `[N, H', W', C']`.
 * @param kernel `[KH, KW]`.
 * @param strides `[sh, sw]` of the forward convolution.
 * @param padBefore `[top, left]` padding of the forward convolution.
 * @param correlate Computes one phase (see {@link PhaseCorrelation}).
 * @returns NHWC `[N, H, W, C]`.
 */
export function polyphaseTransposedConv(
  outShape: readonly [number, number, number, number],
  dy: tf.Tensor4D,
  kernel: readonly [number, number],
  strides: readonly [number, number],
  padBefore: readonly [number, number],
  correlate: PhaseCorrelation,
): tf.Tensor4D {
  return tf.tidy((): tf.Tensor4D => {
    const [n, h, w, c] = outShape;
    const [sh, sw] = strides;
    const rowPhases = phases(h, dy.shape[1], kernel[0], sh, padBefore[0]);
    const colPhases = phases(w, dy.shape[2], kernel[1], sw, padBefore[1]);
    const rowsOut = Math.ceil(h / sh);
    const colsOut = Math.ceil(w / sw);
    const rowBlocks: tf.Tensor4D[] = [];
    for (const rp of rowPhases) {
      const colBlocks: tf.Tensor4D[] = [];
      for (const cp of colPhases) {
        let block: tf.Tensor4D;
        if (rp.size === 0 || cp.size === 0 || rp.taps === 0 || cp.taps === 0) {
          block = tf.zeros([n, rp.size, cp.size, c]);
        } else {
          const top = splitPad(rp.before);
          const bottom = splitPad(rp.after);
          const left = splitPad(cp.before);
          const right = splitPad(cp.after);
          const src = padOrCrop(dy, top.crop, bottom.crop, left.crop, right.crop);
          const padding: ExplicitPadding = [
            [0, 0],
            [top.pad, bottom.pad],
            [left.pad, right.pad],
            [0, 0],
          ];
          block = correlate(src, padding, [rp.tap, cp.tap], [rp.taps, cp.taps]);
        }
        // Every phase is brought to the same size so that a reshape interleaves them.
        colBlocks.push(padOrCrop(block, 0, rowsOut - rp.size, 0, colsOut - cp.size));
      }
      rowBlocks.push(
        colBlocks.length === 1 ? (colBlocks[0] as tf.Tensor4D) : tf.reshape(tf.stack(colBlocks, 3), [n, rowsOut, colsOut * sw, c]),
      );
    }
    const full: tf.Tensor4D =
      rowBlocks.length === 1 ? (rowBlocks[0] as tf.Tensor4D) : tf.reshape(tf.stack(rowBlocks, 2), [n, rowsOut * sh, colsOut * sw, c]);
    return full.shape[1] === h && full.shape[2] === w ? full : tf.slice(full, [0, 0, 0, 0], [n, h, w, c]);
  });
}

/**
 * The taps of one phase, reversed spatially: rows `tapBegin[0] + s_h * t` (t < taps[0]) and
 * likewise columns, of a `[KH, KW, A, B]` filter.
 */
export function phaseTaps(
  filter: tf.Tensor4D,
  tapBegin: readonly [number, number],
  taps: readonly [number, number],
  strides: readonly [number, number],
): tf.Tensor4D {
  const [, , a, b] = filter.shape;
  const [sh, sw] = strides;
  const picked = tf.stridedSlice(
    filter,
    [tapBegin[0], tapBegin[1], 0, 0],
    [tapBegin[0] + sh * (taps[0] - 1) + 1, tapBegin[1] + sw * (taps[1] - 1) + 1, a, b],
    [sh, sw, 1, 1],
  ) as tf.Tensor4D;
  return tf.reverse(picked, [0, 1]);
}
