import { SchedulerConfigError } from './errors.js';
import { oneMinusFloat32, squareFloat32, torchCumprodFloat32, torchLinspaceFloat32 } from './torch-float32.js';

/**
 * Noise schedules, computed on the host exactly as diffusers 0.25 builds them: in float32
 * PyTorch tensors. Every function returns float32-representable values in a
 * `Float64Array` of length `numTrainTimesteps` (index = timestep).
 */

/** The beta schedules diffusers' `DDIMScheduler` accepts in `beta_schedule`. */
export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

/** Every {@link BetaSchedule}, for validation and documentation. */
export const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];

/** The beta schedules diffusers' `DDPMScheduler` accepts: {@link BetaSchedule} and `'sigmoid'`. */
export type DDPMBetaSchedule = BetaSchedule | 'sigmoid';

/** Every {@link DDPMBetaSchedule}, for validation and documentation. */
export const DDPM_BETA_SCHEDULES: readonly DDPMBetaSchedule[] = [...BETA_SCHEDULES, 'sigmoid'];

/** Shape of `alpha_bar(t)` for {@link betasForAlphaBar}. */
export type AlphaTransform = 'cosine' | 'exp';

const f32 = Math.fround;

function checkCount(n: number, name: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new SchedulerConfigError(`${name} must be a positive integer, got ${String(n)}.`);
  }
}

function checkBetaRange(betaStart: number, betaEnd: number): void {
  for (const [key, v] of [['beta_start', betaStart], ['beta_end', betaEnd]] as const) {
    if (!Number.isFinite(v) || v < 0 || v > 1) {
      throw new SchedulerConfigError(`${key} must be a number in [0, 1], got ${String(v)}.`);
    }
  }
}

/**
 * `beta_schedule: "linear"`: betas evenly spaced from `betaStart` to `betaEnd`.
 * @param betaStart beta at timestep 0, in [0, 1].
 * @param betaEnd beta at the last timestep, in [0, 1].
 * @param numTrainTimesteps Number of betas (T).
 * @returns `[T]` betas in [0, 1].
 */
export function linearBetas(betaStart: number, betaEnd: number, numTrainTimesteps: number): Float64Array {
  checkCount(numTrainTimesteps, 'num_train_timesteps');
  checkBetaRange(betaStart, betaEnd);
  return torchLinspaceFloat32(betaStart, betaEnd, numTrainTimesteps);
}

/**
 * `beta_schedule: "scaled_linear"` (Stable Diffusion's): square roots of the betas evenly
 * spaced, then squared.
 * @param betaStart beta at timestep 0, in [0, 1] (SD: 0.00085).
 * @param betaEnd beta at the last timestep, in [0, 1] (SD: 0.012).
 * @param numTrainTimesteps Number of betas (T).
 * @returns `[T]` betas in [0, 1].
 */
export function scaledLinearBetas(betaStart: number, betaEnd: number, numTrainTimesteps: number): Float64Array {
  checkCount(numTrainTimesteps, 'num_train_timesteps');
  checkBetaRange(betaStart, betaEnd);
  return squareFloat32(torchLinspaceFloat32(Math.sqrt(betaStart), Math.sqrt(betaEnd), numTrainTimesteps));
}

/**
 * `beta_schedule: "sigmoid"` (DDPM only, from GeoDiff): `sigmoid(linspace(-6, 6, T))` mapped
 * onto `[betaStart, betaEnd]`, in float32 as diffusers computes it (the sigmoid may differ
 * from PyTorch's by one float32 rounding).
 * @param betaStart beta approached at timestep 0, in [0, 1].
 * @param betaEnd beta approached at the last timestep, in [0, 1].
 * @param numTrainTimesteps Number of betas (T).
 * @returns `[T]` betas between `betaStart` and `betaEnd`.
 */
export function sigmoidBetas(betaStart: number, betaEnd: number, numTrainTimesteps: number): Float64Array {
  checkCount(numTrainTimesteps, 'num_train_timesteps');
  checkBetaRange(betaStart, betaEnd);
  // PyTorch casts the Python-float range and start to the tensor's float32 before the ops.
  const range = f32(betaEnd - betaStart);
  const start = f32(betaStart);
  return torchLinspaceFloat32(-6, 6, numTrainTimesteps).map((x) => f32(f32(f32(1 / (1 + Math.exp(-x))) * range) + start));
}

/**
 * Betas that discretize a continuous `alpha_bar(t)`, t in [0, 1] (diffusers'
 * `betas_for_alpha_bar`): `beta_i = min(1 - alpha_bar((i+1)/T) / alpha_bar(i/T), maxBeta)`.
 * `'cosine'` is `beta_schedule: "squaredcos_cap_v2"` (the improved-DDPM cosine schedule).
 * @param numTrainTimesteps Number of betas (T).
 * @param maxBeta Upper bound on each beta, to avoid a singular last step (diffusers: 0.999).
 * @param alphaTransform `'cosine'`: `cos((t + 0.008) / 1.008 * pi / 2)^2`; `'exp'`: `exp(-12 t)`.
 * @returns `[T]` betas in [0, maxBeta].
 */
export function betasForAlphaBar(
  numTrainTimesteps: number,
  maxBeta = 0.999,
  alphaTransform: AlphaTransform = 'cosine',
): Float64Array {
  checkCount(numTrainTimesteps, 'num_train_timesteps');
  if (!(maxBeta > 0 && maxBeta <= 1)) {
    throw new SchedulerConfigError(`maxBeta must be in (0, 1], got ${String(maxBeta)}.`);
  }
  if (alphaTransform !== 'cosine' && alphaTransform !== 'exp') {
    throw new SchedulerConfigError(`alphaTransform must be 'cosine' or 'exp', got ${String(alphaTransform)}.`);
  }
  const alphaBar =
    alphaTransform === 'cosine'
      ? (t: number) => {
          // Same operation order as diffusers, so the float64 rounding matches too.
          const c = Math.cos((((t + 0.008) / 1.008) * Math.PI) / 2);
          return c * c;
        }
      : (t: number) => Math.exp(t * -12.0);
  const betas = new Float64Array(numTrainTimesteps);
  for (let i = 0; i < numTrainTimesteps; i++) {
    const t1 = i / numTrainTimesteps;
    const t2 = (i + 1) / numTrainTimesteps;
    betas[i] = f32(Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta));
  }
  return betas;
}

/**
 * `squaredcos_cap_v2`: {@link betasForAlphaBar} with the cosine transform and max beta 0.999.
 * @returns `[T]` betas in [0, 0.999].
 */
export function squaredcosCapV2Betas(numTrainTimesteps: number): Float64Array {
  return betasForAlphaBar(numTrainTimesteps, 0.999, 'cosine');
}

/**
 * Rescales betas so the last timestep has zero SNR (Lin et al. 2023, "Common Diffusion
 * Noise Schedules and Sample Steps are Flawed", Algorithm 1; diffusers'
 * `rescale_zero_terminal_snr`): shift `sqrt(alpha_bar)` so its last value is 0, scale it
 * so its first value is unchanged, and convert back to betas. The last beta becomes 1,
 * so epsilon-prediction cannot step from the last timestep: pair it with v-prediction.
 * @param betas `[T]` betas in [0, 1], T >= 2.
 * @returns `[T]` rescaled betas in [0, 1].
 */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  if (n < 2) throw new SchedulerConfigError(`rescale_betas_zero_snr needs at least 2 betas, got ${n}.`);
  const sqrtAbar = torchCumprodFloat32(oneMinusFloat32(betas)).map((v) => f32(Math.sqrt(v)));
  // n >= 2 was checked above, so both ends exist.
  const first = sqrtAbar[0]!;
  const last = sqrtAbar[n - 1]!;
  if (!(first > last)) {
    throw new SchedulerConfigError('rescale_betas_zero_snr needs alpha_bar to decrease over time; check the betas.');
  }
  const scale = f32(first / f32(first - last));
  const abar = sqrtAbar.map((v) => {
    const shifted = f32(f32(v - last) * scale);
    return f32(shifted * shifted);
  });
  // alpha_bar before the first step is 1, so the first beta is 1 - alpha_bar_0 like the rest.
  let previous = 1;
  return abar.map((v) => {
    const beta = f32(1 - f32(v / previous));
    previous = v;
    return beta;
  });
}

/**
 * `alphas_cumprod`: `alpha_bar_t = prod_{s <= t} (1 - beta_s)`, as diffusers computes it
 * (float32 alphas, product accumulated in double, each value rounded to float32).
 * @param betas `[T]` betas in [0, 1].
 * @returns `[T]` alpha_bar values in [0, 1], non-increasing.
 */
export function alphasCumprod(betas: Float64Array): Float64Array {
  return torchCumprodFloat32(oneMinusFloat32(betas));
}

/**
 * Signal-to-noise ratio of each timestep, `alpha_bar / (1 - alpha_bar)`, in float64.
 * @param alphasCumprodValues `[T]` alpha_bar values in [0, 1].
 * @returns `[T]` SNR values in [0, +Infinity] (Infinity where alpha_bar is 1).
 */
export function signalToNoiseRatio(alphasCumprodValues: Float64Array): Float64Array {
  return alphasCumprodValues.map((a) => a / (1 - a));
}

/** The `scheduler_config.json` keys a beta schedule is built from (diffusers' names). */
export interface BetaScheduleConfig {
  /** Training timesteps T. */
  readonly num_train_timesteps: number;
  /** First beta of `linear` / `scaled_linear` / `sigmoid`. */
  readonly beta_start: number;
  /** Last beta of `linear` / `scaled_linear` / `sigmoid`. */
  readonly beta_end: number;
  /** How betas are generated. */
  readonly beta_schedule: DDPMBetaSchedule;
  /** Explicit betas, overriding `beta_schedule`, or `null`. */
  readonly trained_betas: readonly number[] | null;
  /** Rescale to zero terminal SNR ({@link rescaleZeroTerminalSnr}). */
  readonly rescale_betas_zero_snr: boolean;
}

/**
 * The betas a diffusers scheduler builds from its config: `trained_betas` if given (as
 * float32), else `beta_schedule`'s; then rescaled to zero terminal SNR if asked.
 * @returns `[T]` betas in [0, 1].
 * @throws SchedulerConfigError for an unknown schedule or invalid parameters.
 */
export function betasFromConfig(config: BetaScheduleConfig): Float64Array {
  const T = config.num_train_timesteps;
  let betas: Float64Array;
  if (config.trained_betas !== null) betas = Float64Array.from(config.trained_betas, f32);
  else {
    switch (config.beta_schedule) {
      case 'linear':
        betas = linearBetas(config.beta_start, config.beta_end, T);
        break;
      case 'scaled_linear':
        betas = scaledLinearBetas(config.beta_start, config.beta_end, T);
        break;
      case 'squaredcos_cap_v2':
        betas = squaredcosCapV2Betas(T);
        break;
      case 'sigmoid':
        betas = sigmoidBetas(config.beta_start, config.beta_end, T);
        break;
      default:
        throw new SchedulerConfigError(`unsupported beta_schedule ${String(config.beta_schedule as unknown)}.`);
    }
  }
  return config.rescale_betas_zero_snr ? rescaleZeroTerminalSnr(betas) : betas;
}
