import { SchedulerConfigError, SchedulerUsageError } from './errors.js';
import { npArange, npLinspace, roundHalfEven } from './numpy-compat.js';

/**
 * How inference timesteps are spread over the training timesteps (diffusers'
 * `timestep_spacing`; Table 2 of Lin et al. 2023):
 * - `'leading'`: `0, r, 2r, ...` with `r = floor(T / n)`, plus `steps_offset`; never reaches T - 1.
 * - `'trailing'`: counted back from T - 1 (`T - 1, T - 1 - T/n, ...`, rounded); always starts at T - 1.
 * - `'linspace'`: `n` values evenly spaced over `[0, T - 1]`, rounded.
 */
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

/** Every {@link TimestepSpacing}, for validation and documentation. */
export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['leading', 'trailing', 'linspace'];

/** Arguments of {@link spaceTimesteps}. */
export interface TimestepSpacingOptions {
  /** The spacing rule. */
  readonly spacing: TimestepSpacing;
  /** Number of inference steps n, in `[1, numTrainTimesteps]`. */
  readonly numInferenceSteps: number;
  /** Training timesteps T (usually 1000). */
  readonly numTrainTimesteps: number;
  /** Added to every timestep by `'leading'` only (diffusers ignores it for the others). Default 0. */
  readonly stepsOffset?: number;
}

/**
 * The timesteps diffusers 0.25 `DDIMScheduler.set_timesteps(n)` chooses, in the order they
 * are visited (descending), including numpy's rounding (`np.round` is half-to-even).
 *
 * One deliberate difference: for some n (61, 103, 121, ... with T = 1000) numpy's float
 * `arange` in `'trailing'` overshoots by one element and diffusers returns n + 1 timesteps,
 * the last being -1 (which PyTorch indexing silently wraps to T - 1). Here that spurious
 * element is dropped, so exactly n timesteps in `[0, T)` are always returned.
 * @returns n integers in `[0, T)` (`'leading'`: `[stepsOffset, T)`), descending.
 */
export function spaceTimesteps(options: TimestepSpacingOptions): number[] {
  const { spacing, numInferenceSteps: n, numTrainTimesteps: T, stepsOffset = 0 } = options;
  if (!Number.isInteger(T) || T < 1) {
    throw new SchedulerConfigError(`num_train_timesteps must be a positive integer, got ${String(T)}.`);
  }
  if (!Number.isInteger(n) || n < 1 || n > T) {
    throw new SchedulerUsageError(
      `numInferenceSteps must be an integer in [1, ${T}] (num_train_timesteps), got ${String(n)}.`,
    );
  }
  switch (spacing) {
    case 'leading': {
      const ratio = Math.floor(T / n);
      const largest = (n - 1) * ratio + stepsOffset;
      if (largest >= T) {
        throw new SchedulerConfigError(
          `steps_offset ${stepsOffset} pushes timestep ${largest} past num_train_timesteps - 1 = ${T - 1}; ` +
            'use a smaller steps_offset or fewer steps.',
        );
      }
      const out: number[] = [];
      for (let i = n - 1; i >= 0; i--) out.push(i * ratio + stepsOffset);
      return out;
    }
    case 'trailing':
      return npArange(T, 0, -(T / n))
        .slice(0, n)
        .map((t) => roundHalfEven(t) - 1);
    case 'linspace':
      return npLinspace(0, T - 1, n)
        .map(roundHalfEven)
        .reverse();
    default:
      throw new SchedulerConfigError(
        `timestep_spacing must be one of ${TIMESTEP_SPACINGS.join(', ')}; got ${String(spacing as unknown)}.`,
      );
  }
}
