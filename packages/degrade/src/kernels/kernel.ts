import * as tf from '@tensorflow/tfjs-core';
import { check } from '../errors.js';

/**
 * A square 2-D blur kernel on the host, in float64: `data[row * size + col]`, rows top to
 * bottom. Kernels made by this package are normalized (they sum to 1) and have odd sizes,
 * centred on `(size - 1) / 2`.
 */
export interface BlurKernel {
  /** Side length (odd). */
  readonly size: number;
  /** `size * size` row-major weights. */
  readonly data: Float64Array;
}

/** Checks that `size` is a positive odd integer (BasicSR asserts the same). */
export function checkKernelSize(size: number, what: string): void {
  check(Number.isInteger(size) && size >= 1 && size % 2 === 1, () => `${what}: kernel size must be a positive odd integer, got ${size}.`);
}

/** Divides every weight by the sum, in place, and returns the kernel. */
export function normalizeKernel(kernel: BlurKernel): BlurKernel {
  let sum = 0;
  for (const v of kernel.data) {
    sum += v;
  }
  for (const [i, v] of kernel.data.entries()) {
    kernel.data[i] = v / sum;
  }
  return kernel;
}

/**
 * Zero-pads a kernel symmetrically to `size x size` (numpy `np.pad` as BasicSR and
 * Real-ESRGAN do), which leaves the blur unchanged. Returns the kernel itself when it is
 * already that size.
 * @throws {@link DegradeError} if `size` is smaller than the kernel or the padding would be uneven.
 */
export function padKernel(kernel: BlurKernel, size: number): BlurKernel {
  if (size === kernel.size) {
    return kernel;
  }
  check(size > kernel.size && (size - kernel.size) % 2 === 0, () => `padKernel: cannot pad a ${kernel.size}x${kernel.size} kernel to ${size}x${size}; pass an odd size >= ${kernel.size}.`);
  const pad = (size - kernel.size) / 2;
  const data = new Float64Array(size * size);
  for (let r = 0; r < kernel.size; r++) {
    for (let c = 0; c < kernel.size; c++) {
      data[(r + pad) * size + c + pad] = kernel.data[r * kernel.size + c]!;
    }
  }
  return { size, data };
}

/** The identity kernel (a single 1 in the centre): filtering with it changes nothing. */
export function pulseKernel(size = 21): BlurKernel {
  checkKernelSize(size, 'pulseKernel');
  const data = new Float64Array(size * size);
  data[((size - 1) / 2) * size + (size - 1) / 2] = 1;
  return { size, data };
}

/** One kernel as a float32 `[size, size]` tensor (the caller disposes it). */
export function kernelToTensor(kernel: BlurKernel): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(kernel.data), [kernel.size, kernel.size], 'float32');
}

/**
 * Per-sample kernels as one float32 `[N, S, S]` tensor (the `kernels` argument of
 * `filter2D`), each zero-padded to the largest size `S` (or to `size` when given).
 * @throws {@link DegradeError} if the list is empty or a kernel is larger than `size`.
 */
export function stackKernels(kernels: readonly BlurKernel[], size?: number): tf.Tensor3D {
  check(kernels.length > 0, () => 'stackKernels: pass at least one kernel.');
  const s = size ?? Math.max(...kernels.map((k) => k.size));
  const data = new Float32Array(kernels.length * s * s);
  kernels.forEach((k, i) => data.set(padKernel(k, s).data, i * s * s));
  return tf.tensor3d(data, [kernels.length, s, s], 'float32');
}
