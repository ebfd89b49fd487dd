import { TrainingArgumentError } from '../errors.js';

/**
 * Checks the upscaling factor given to a trainer or to validation (training configs check
 * theirs with `scaleSchema` when they are parsed).
 * @param min The smallest factor the caller accepts.
 * @throws {@link TrainingArgumentError} unless `scale` is an integer `>= min`.
 */
export function checkScale(scale: number, min: number, what: string): void {
  if (!Number.isInteger(scale) || scale < min) {
    throw new TrainingArgumentError(`${what}: scale must be an integer >= ${min} (2, 4, 8...), got ${scale}.`);
  }
}

/** @throws {@link TrainingArgumentError} unless `value` is finite and `>= 0`. */
export function checkWeight(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new TrainingArgumentError(`${name} must be a finite number >= 0, got ${value}.`);
}
