import type { PredictionType, Rng } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';
import type { TrainingScheduler } from './types.js';

/**
 * Training timesteps, one per batch item, uniform over `[0, numTrainTimesteps)` as diffusers'
 * training scripts draw them, or over `range` (inclusive). Host-side draws from `rng`, so the
 * same seed gives the same timesteps on every backend.
 * @param range `[first, last]`, integers with `0 <= first <= last < numTrainTimesteps`; `[T-1, T-1]`
 *   trains only the timestep one-step inference uses.
 * @param lastShare Probability in `[0, 1]` that an item takes the range's last timestep
 *   outright (the one a single DDIM step uses) instead of a uniform draw: a mixture that keeps
 *   a diffusion model over every timestep while weighting one-step quality. 0 (default) draws
 *   exactly as without it.
 * @throws {@link TrainingArgumentError} for a range outside the schedule or a share outside `[0, 1]`.
 */
export function drawTimesteps(
  rng: Rng,
  batch: number,
  numTrainTimesteps: number,
  range?: readonly [number, number],
  lastShare = 0,
): number[] {
  const [first, last] = range ?? [0, numTrainTimesteps - 1];
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last < first || last >= numTrainTimesteps) {
    throw new TrainingArgumentError(`timestep range [${first}, ${last}] must be integers with 0 <= first <= last < ${numTrainTimesteps}.`);
  }
  if (!(lastShare >= 0 && lastShare <= 1)) throw new TrainingArgumentError(`the last timestep's share must be in [0, 1], got ${lastShare}.`);
  // Without a share, one draw per item as before, so existing runs resume on the same timesteps.
  if (lastShare === 0) return Array.from({ length: batch }, () => rng.nextInt(first, last));
  return Array.from({ length: batch }, () => (rng.nextFloat() < lastShare ? last : rng.nextInt(first, last)));
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
 * What the diffusion MSE is measured in: `'prediction'` (the network's own output, v for
 * v-prediction, as diffusers trains) or `'x0'` (the clean latent implied by the prediction, so
 * every timestep counts by how wrong its `x_0` estimate is; what one-step inference returns).
 */
export type LossWeighting = 'prediction' | 'x0';

/**
 * Weights that turn the prediction-space MSE into the MSE of the implied `x_0`: given `z_t`,
 * an error `e` in the prediction moves `x_0` by `sqrt(1 - abar) e` for v (weight
 * `1 / (snr + 1)`), by `e / sqrt(snr)` for epsilon (weight `1 / snr`), by `e` for sample (1).
 * Under v-prediction the plain MSE weighs nearly clean timesteps by `snr + 1` relative to
 * this (about 50x at `t = 20` of Stable Diffusion's schedule), so their noise prediction
 * crowds out the `t = T` estimate that one-step inference uses.
 * @returns One weight per timestep.
 */
export function x0Weights(alphasCumprod: ArrayLike<number>, timesteps: readonly number[], predictionType: PredictionType): number[] {
  return timesteps.map((t) => {
    const snr = snrAt(alphasCumprod, t);
    if (predictionType === 'v_prediction') return 1 / (snr + 1);
    if (predictionType === 'epsilon') return 1 / snr;
    return 1;
  });
}

/**
 * Checks that at most one timestep weighting is asked for (the stages call it when built, so a
 * bad combination fails before the first step).
 * @throws {@link TrainingArgumentError} for `snrGamma` together with `'x0'`.
 */
export function checkTimestepWeighting(snrGamma: number | undefined, weighting: LossWeighting | undefined): void {
  if (snrGamma !== undefined && weighting === 'x0') {
    throw new TrainingArgumentError('snrGamma and weighting "x0" are two different timestep weightings: choose one.');
  }
}

/**
 * Scales the loss of the items that are not at `last` (the timestep one DDIM step uses) by
 * `uniformWeight`, so the uniform part of a {@link drawTimesteps} mixture keeps every timestep
 * trained without its larger errors steering the update away from the one-step estimate.
 * @param uniformWeight In `(0, 1]`; 1 leaves the weights as they are.
 * @returns New weights, one per timestep.
 * @throws {@link TrainingArgumentError} for a weight outside `(0, 1]`.
 */
export function mixtureWeights(weights: readonly number[], timesteps: readonly number[], last: number, uniformWeight: number): number[] {
  checkUniformTimestepWeight(uniformWeight);
  return weights.map((w, i) => (timesteps[i] === last ? w : w * uniformWeight));
}

/**
 * Checks the weight of the uniform items of a timestep mixture (see {@link mixtureWeights}).
 * @throws {@link TrainingArgumentError} for a weight outside `(0, 1]`.
 */
export function checkUniformTimestepWeight(uniformWeight: number): void {
  if (!(uniformWeight > 0 && uniformWeight <= 1)) throw new TrainingArgumentError(`the uniform timesteps' loss weight must be in (0, 1], got ${uniformWeight}.`);
}

/**
 * Checks the timestep knobs of a diffusion stage's options (the stages call it when built, so a
 * bad combination fails before the first step): {@link checkTimestepWeighting} and
 * {@link checkUniformTimestepWeight}.
 * @throws {@link TrainingArgumentError} for `snrGamma` with `'x0'`, or a uniform weight outside `(0, 1]`.
 */
export function checkTimestepOptions(options: { readonly snrGamma?: number; readonly weighting?: LossWeighting; readonly uniformTimestepWeight?: number }): void {
  checkTimestepWeighting(options.snrGamma, options.weighting);
  if (options.uniformTimestepWeight !== undefined) checkUniformTimestepWeight(options.uniformTimestepWeight);
}

/**
 * Per-item loss weights: all ones, {@link minSnrWeights} when `snrGamma` is set, or
 * {@link x0Weights} for `weighting: 'x0'`.
 * @throws {@link TrainingArgumentError} when a weighting needs the scheduler's `alphasCumprod` and it has none, or for `snrGamma` with `'x0'`.
 */
export function lossWeights(scheduler: TrainingScheduler, timesteps: readonly number[], snrGamma: number | undefined, weighting: LossWeighting = 'prediction'): number[] {
  checkTimestepWeighting(snrGamma, weighting);
  if (snrGamma === undefined && weighting === 'prediction') return timesteps.map(() => 1);
  const alphas = scheduler.alphasCumprod;
  if (alphas === undefined) {
    throw new TrainingArgumentError(
      `${snrGamma !== undefined ? 'snrGamma' : 'The x0 weighting'} needs the scheduler's alphasCumprod, which this scheduler does not expose (core's NoiseScheduler has none); use DDIMScheduler.`,
    );
  }
  if (snrGamma !== undefined) return minSnrWeights(alphas, timesteps, snrGamma, scheduler.predictionType);
  return x0Weights(alphas, timesteps, scheduler.predictionType);
}
