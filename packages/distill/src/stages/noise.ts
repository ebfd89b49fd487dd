import type { PredictionType, Rng } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';
import type { TrainingScheduler } from './types.js';

/**
 * Training timesteps, one per batch item, uniform over `[0, numTrainTimesteps)` as diffusers'
 * training scripts draw them. Host-side draws from `rng`, so the same seed gives the same
 * timesteps on every backend.
 */
export function drawTimesteps(rng: Rng, batch: number, numTrainTimesteps: number): number[] {
  return Array.from({ length: batch }, () => rng.nextInt(0, numTrainTimesteps - 1));
}

/** `alpha_bar_t / (1 - alpha_bar_t)`: the signal-to-noise ratio of timestep `t`. */
export function snrAt(alphasCumprod: ArrayLike<number>, t: number): number {
  const a = alphasCumprod[t];
  if (a === undefined) throw new TrainingArgumentError(`SNR: timestep ${t} is outside the schedule of ${alphasCumprod.length} steps.`);
  return a / (1 - a);
}

/**
 * Min-SNR-gamma loss weights (Hang et al. 2023, as diffusers' `train_text_to_image.py --snr_gamma`):
 * `min(snr, gamma)` divided by what the prediction type's MSE already weighs the `x_0` error by,
 * `snr` for epsilon, `snr + 1` for v, 1 for sample. With v-prediction the weight is
 * `min(snr, gamma) / (snr + 1)`, at most 1: noisy timesteps keep their weight, nearly clean ones
 * (high SNR, easy) are damped.
 * @param gamma Positive (5 is the paper's choice).
 * @returns One weight per timestep.
 * @throws {@link TrainingArgumentError} for a non-positive gamma or a timestep out of range.
 */
export function minSnrWeights(alphasCumprod: ArrayLike<number>, timesteps: readonly number[], gamma: number, predictionType: PredictionType): number[] {
  if (!(gamma > 0) || !Number.isFinite(gamma)) throw new TrainingArgumentError(`snrGamma must be a positive number (5 is usual), got ${gamma}.`);
  return timesteps.map((t) => {
    const snr = snrAt(alphasCumprod, t);
    const clipped = Math.min(snr, gamma);
    if (predictionType === 'epsilon') return clipped / snr;
    if (predictionType === 'v_prediction') return clipped / (snr + 1);
    return clipped;
  });
}

/**
 * Per-item loss weights: all ones, or {@link minSnrWeights} when `snrGamma` is set.
 * @throws {@link TrainingArgumentError} when `snrGamma` is set but the scheduler exposes no `alphasCumprod`.
 */
export function lossWeights(scheduler: TrainingScheduler, timesteps: readonly number[], snrGamma: number | undefined): number[] {
  if (snrGamma === undefined) return timesteps.map(() => 1);
  const alphas = scheduler.alphasCumprod;
  if (alphas === undefined) {
    throw new TrainingArgumentError(
      'snrGamma needs the scheduler\'s alphasCumprod, which this scheduler does not expose (core\'s NoiseScheduler has none); use DDIMScheduler or drop snrGamma.',
    );
  }
  return minSnrWeights(alphas, timesteps, snrGamma, scheduler.predictionType);
}
