/**
 * Host-side (float64) interpolation matrices reproducing PyTorch's `F.interpolate` with
 * `align_corners=False` and no antialiasing (the CPU kernels' index and weight rules).
 * Each is `[outLength, inLength]` row-major with rows summing to 1.
 */

/** PyTorch's `F.interpolate` modes that Real-ESRGAN picks from. */
export type TorchResizeMode = 'area' | 'bilinear' | 'bicubic';

/** `area_pixel_compute_scale`: `1 / factor` when the caller gave one (PyTorch's `scale_factor`), else `in / out`. */
export function sourceScale(inLength: number, outLength: number, factor?: number): number {
  return factor !== undefined && factor > 0 ? 1 / factor : inLength / outLength;
}

/** `adaptive_avg_pool` along one axis: output `i` averages inputs `[floor(i in / out), ceil((i + 1) in / out))`. */
export function areaWeights(inLength: number, outLength: number): Float64Array {
  const w = new Float64Array(outLength * inLength);
  for (let i = 0; i < outLength; i++) {
    const start = Math.floor((i * inLength) / outLength);
    const end = Math.ceil(((i + 1) * inLength) / outLength);
    for (let k = start; k < end; k++) {
      w[i * inLength + k] = 1 / (end - start);
    }
  }
  return w;
}

/** Bilinear: source `max(0, scale (i + 0.5) - 0.5)`, two taps, the second clamped to the last pixel. */
export function bilinearWeights(inLength: number, outLength: number, scale: number): Float64Array {
  const w = new Float64Array(outLength * inLength);
  for (let i = 0; i < outLength; i++) {
    const src = Math.max(0, scale * (i + 0.5) - 0.5);
    const i0 = Math.min(Math.floor(src), inLength - 1);
    const i1 = i0 < inLength - 1 ? i0 + 1 : i0;
    const lambda = Math.min(Math.max(src - i0, 0), 1);
    w[i * inLength + i0]! += 1 - lambda;
    w[i * inLength + i1]! += lambda;
  }
  return w;
}

/** PyTorch's cubic convolution constant (Keys with a = -0.75, unlike MATLAB's -0.5). */
const A = -0.75;

function cubicNear(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

function cubicFar(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/** Bicubic: source `scale (i + 0.5) - 0.5` (not clamped), taps `floor - 1 .. floor + 2` clamped to the image. */
export function bicubicTorchWeights(inLength: number, outLength: number, scale: number): Float64Array {
  const w = new Float64Array(outLength * inLength);
  for (let i = 0; i < outLength; i++) {
    const src = scale * (i + 0.5) - 0.5;
    const base = Math.floor(src);
    const t = src - base;
    const coefficients = [cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)];
    for (const [k, coefficient] of coefficients.entries()) {
      const index = Math.min(Math.max(base - 1 + k, 0), inLength - 1);
      w[i * inLength + index]! += coefficient;
    }
  }
  return w;
}

/** The matrix for `mode`; `factor` is the user's factor when the output size came from one. */
export function torchResizeWeights(mode: TorchResizeMode, inLength: number, outLength: number, factor?: number): Float64Array {
  switch (mode) {
    case 'area':
      return areaWeights(inLength, outLength);
    case 'bilinear':
      return bilinearWeights(inLength, outLength, sourceScale(inLength, outLength, factor));
    case 'bicubic':
      return bicubicTorchWeights(inLength, outLength, sourceScale(inLength, outLength, factor));
  }
}
