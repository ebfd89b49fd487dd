import { check } from '../errors.js';
import { besselJ1 } from './bessel.js';
import { type BlurKernel, checkKernelSize, normalizeKernel, padKernel } from './kernel.js';

/**
 * Circularly symmetric ideal low-pass (2-D sinc) kernel, BasicSR's
 * `circular_lowpass_kernel`: `cutoff * J1(cutoff * r) / (2 pi r)` at distance `r` from the
 * centre, `cutoff^2 / (4 pi)` at the centre (its limit), normalized, then zero-padded.
 * Real-ESRGAN uses it to mimic ringing and overshoot artifacts.
 *
 * @param cutoff Cutoff frequency in radians per pixel, in `(0, pi]` (pi passes everything).
 * @param size Odd side length of the kernel before padding.
 * @param padTo Pad to this odd size when larger than `size` (0, the default, means no padding).
 * @returns A kernel summing to 1, `max(size, padTo)` on a side.
 * @throws {@link DegradeError} on an even size or a non-positive cutoff.
 */
export function circularLowpassKernel(cutoff: number, size: number, padTo = 0): BlurKernel {
  checkKernelSize(size, 'circularLowpassKernel');
  check(Number.isFinite(cutoff) && cutoff > 0, () => `circularLowpassKernel: cutoff must be a positive number of radians, got ${cutoff}.`);
  const half = (size - 1) / 2;
  const data = new Float64Array(size * size);
  // The kernel depends on the squared radius only: evaluate J1 once per distinct value.
  const byRadius2 = new Map<number, number>();
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const r2 = (row - half) ** 2 + (col - half) ** 2;
      let value = byRadius2.get(r2);
      if (value === undefined) {
        const r = Math.sqrt(r2);
        value = r === 0 ? (cutoff * cutoff) / (4 * Math.PI) : (cutoff * besselJ1(cutoff * r)) / (2 * Math.PI * r);
        byRadius2.set(r2, value);
      }
      data[row * size + col] = value;
    }
  }
  const kernel = normalizeKernel({ size, data });
  return padTo > size ? padKernel(kernel, padTo) : kernel;
}
