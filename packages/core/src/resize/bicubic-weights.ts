/**
 * Host-side (float64) interpolation matrices of MATLAB's `imresize(..., 'bicubic')`, as
 * BasicSR's `calculate_weights_indices` computes them.
 */

/** Keys' cubic convolution kernel with a = -0.5 (MATLAB's `cubic`), support [-2, 2]. */
export function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) {
    return 1.5 * ax3 - 2.5 * ax2 + 1;
  }
  if (ax <= 2) {
    return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  }
  return 0;
}

/**
 * Maps a 0-based index that may lie outside `[0, length)` back inside by symmetric
 * reflection that repeats the edge sample (`-1 -> 0`, `length -> length - 1`), MATLAB's and
 * BasicSR's padding. Repeats with period `2 * length`, so any overshoot is defined.
 */
export function reflectSymmetric(index: number, length: number): number {
  const period = 2 * length;
  let k = index % period;
  if (k < 0) {
    k += period;
  }
  return k < length ? k : period - 1 - k;
}

/**
 * The `[outLength, inLength]` row-major matrix `W` with `out = W · in` along one axis.
 *
 * Output pixel `i` (1-based) sits at input coordinate `u = i / scale + (1 - 1 / scale) / 2`;
 * its taps are the `ceil(kernelWidth) + 2` pixels from `floor(u - kernelWidth / 2)`,
 * weighted by the cubic kernel (stretched by `1 / scale` when shrinking with antialiasing,
 * which widens the kernel to `4 / scale`) and normalized to sum to 1. Taps that fall outside
 * the image are folded back by symmetric reflection, so the padding BasicSR builds
 * explicitly becomes extra weight on the mirrored pixels.
 *
 * @param inLength Input size along the axis (>= 1).
 * @param outLength Output size along the axis (>= 1).
 * @param scale `outLength / inLength` as the caller defines it (BasicSR passes the user's scale).
 * @param antialiasing Widen the kernel when `scale < 1` (MATLAB's default).
 */
export function bicubicWeights(inLength: number, outLength: number, scale: number, antialiasing: boolean): Float64Array {
  const shrinkAa = scale < 1 && antialiasing;
  const kernelWidth = shrinkAa ? 4 / scale : 4;
  const taps = Math.ceil(kernelWidth) + 2;
  const weights = new Float64Array(outLength * inLength);
  const row = new Float64Array(taps);
  for (let i = 0; i < outLength; i++) {
    const u = (i + 1) / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const distance = u - (left + j);
      const w = shrinkAa ? scale * cubic(distance * scale) : cubic(distance);
      row[j] = w;
      sum += w;
    }
    for (const [j, w] of row.entries()) {
      // `left + j` is 1-based (MATLAB coordinates): subtract 1 before reflecting.
      const k = reflectSymmetric(left + j - 1, inLength);
      weights[i * inLength + k]! += w / sum;
    }
  }
  return weights;
}
