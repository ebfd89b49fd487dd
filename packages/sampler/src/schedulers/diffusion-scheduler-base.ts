import type * as tf from '@tensorflow/tfjs-core';
import type { PredictionType } from '@yonos/core';
import { alphasCumprod, betasFromConfig } from './beta-schedules.js';
import { SchedulerConfigError, SchedulerUsageError } from './errors.js';
import { ForwardDiffusion } from './forward-diffusion.js';
import type { DiffusionSchedulerConfigCore } from './scheduler-config-types.js';
import { spaceTimesteps } from './timestep-spacing.js';

/**
 * The check every scheduler's `fromConfig` makes before parsing: a parsed
 * `scheduler_config.json` is a JSON object.
 * @param config What the caller passed.
 * @param className The scheduler class, named in the message.
 * @returns `config`, as a record.
 * @throws SchedulerConfigError for `null`, an array or a non-object.
 */
export function checkConfigObject(config: unknown, className: string): Record<string, unknown> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new SchedulerConfigError(`${className}.fromConfig expects the parsed scheduler_config.json object.`);
  }
  return config as Record<string, unknown>;
}

/**
 * What diffusers' discrete-time schedulers share: the validated config, the training
 * schedule (betas and `alphas_cumprod`, computed once from the config), the chosen inference
 * timesteps and the forward process (`addNoise`, `getVelocity`). Each scheduler adds its own
 * `step`, its own `previousTimestep` and `alphaProd`, and its own static `fromConfig`.
 *
 * Every tensor it returns is new and owned by the caller; inputs are never disposed.
 * @typeParam Config The scheduler's validated config.
 * @typeParam ConfigJson What {@link DiffusionSchedulerBase.toConfig} returns.
 */
export abstract class DiffusionSchedulerBase<Config extends DiffusionSchedulerConfigCore, ConfigJson> {
  /** The validated configuration, diffusers keys. */
  readonly config: Config;
  /** Standard deviation of the initial noise x_T (always 1 for these schedulers). */
  readonly initNoiseSigma = 1;

  /** The `[T]` `alphas_cumprod` table itself (not a copy), for the subclass's step arithmetic. */
  protected readonly trainAlphasCumprod: Float64Array;
  readonly #betas: Float64Array;
  readonly #forward: ForwardDiffusion;
  readonly #toJson: (config: Config) => ConfigJson;
  #timesteps: readonly number[];
  #numInferenceSteps: number | undefined;

  /**
   * @param config A validated config.
   * @param toJson Writes `config` as diffusers' `scheduler_config.json`.
   */
  protected constructor(config: Config, toJson: (config: Config) => ConfigJson) {
    this.config = config;
    this.#toJson = toJson;
    this.#betas = betasFromConfig(config);
    this.trainAlphasCumprod = alphasCumprod(this.#betas);
    this.#forward = new ForwardDiffusion(this.trainAlphasCumprod);
    // Until setTimesteps, diffusers exposes every training timestep, descending.
    this.#timesteps = Object.freeze(Array.from({ length: this.numTrainTimesteps }, (_, i) => this.numTrainTimesteps - 1 - i));
    this.#numInferenceSteps = undefined;
  }

  /** The complete config as diffusers writes `scheduler/scheduler_config.json` (a fresh object). */
  toConfig(): ConfigJson {
    return this.#toJson(this.config);
  }

  /** Training timesteps T. */
  get numTrainTimesteps(): number {
    return this.config.num_train_timesteps;
  }

  /** What the paired denoiser predicts. */
  get predictionType(): PredictionType {
    return this.config.prediction_type;
  }

  /** Inference timesteps, descending; all T training timesteps until {@link setTimesteps} is called. */
  get timesteps(): readonly number[] {
    return this.#timesteps;
  }

  /** The n of the last {@link setTimesteps} (or the count of custom timesteps, where a scheduler takes those), or `undefined` before either. */
  get numInferenceSteps(): number | undefined {
    return this.#numInferenceSteps;
  }

  /** A copy of the `[T]` betas (float32 values, as diffusers holds them). */
  get betas(): Float64Array {
    return this.#betas.slice();
  }

  /** A copy of the `[T]` `alphas_cumprod` (alpha_bar_t, float32 values, non-increasing in [0, 1]). */
  get alphasCumprod(): Float64Array {
    return this.trainAlphasCumprod.slice();
  }

  /**
   * Chooses `numInferenceSteps` timesteps by the configured `timestep_spacing` (see
   * {@link spaceTimesteps}) and makes them {@link timesteps}.
   * @param numInferenceSteps Integer in `[1, T]`.
   */
  setTimesteps(numInferenceSteps: number): void {
    const ts = spaceTimesteps({
      spacing: this.config.timestep_spacing,
      numInferenceSteps,
      numTrainTimesteps: this.numTrainTimesteps,
      stepsOffset: this.config.steps_offset,
    });
    this.useTimesteps(ts, numInferenceSteps);
  }

  /**
   * Forward diffusion `sqrt(abar_t) * original + sqrt(1 - abar_t) * noise`, per batch item
   * (diffusers' `add_noise`).
   * @param original x0, `[N, ...]` float32 (any layout; the batch is axis 0).
   * @param noise Standard-normal noise, same shape.
   * @param timesteps N integers in `[0, T)` (or 1, for the whole batch): an array, or an
   *   int32 `[N]` tensor (not range-checked, to avoid reading it back from the device).
   * @returns x_t, same shape; caller owns it.
   */
  addNoise(original: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[] | tf.Tensor1D): tf.Tensor {
    return this.#forward.addNoise(original, noise, timesteps);
  }

  /**
   * The v-prediction target `sqrt(abar_t) * noise - sqrt(1 - abar_t) * sample`, per batch item.
   * @param sample x0, `[N, ...]` float32 (the batch is axis 0).
   * @param noise Standard-normal noise, same shape.
   * @param timesteps As in {@link addNoise}.
   * @returns v, same shape; caller owns it.
   */
  getVelocity(sample: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[] | tf.Tensor1D): tf.Tensor {
    return this.#forward.getVelocity(sample, noise, timesteps);
  }

  /**
   * alpha_bar at per-item timesteps, shaped to broadcast against a `[N, ...]` tensor of the
   * given rank: `[N, 1, ..., 1]`. Use it with the pure helpers (`vFrom`, `predictionToX0`, ...).
   * @param timesteps As in {@link addNoise}.
   * @param rank Rank of the tensors it will multiply (for example 4 for NHWC latents), >= 1.
   * @returns float32 `[N, 1, ..., 1]`; caller owns it.
   */
  alphasCumprodAt(timesteps: readonly number[] | tf.Tensor1D, rank: number): tf.Tensor {
    return this.#forward.alphasCumprodAt(timesteps, rank);
  }

  /**
   * Makes `timesteps` the inference timesteps.
   * @param timesteps Already validated, descending; frozen here.
   * @param numInferenceSteps What {@link DiffusionSchedulerBase.numInferenceSteps} reports.
   */
  protected useTimesteps(timesteps: readonly number[], numInferenceSteps: number): void {
    this.#timesteps = Object.freeze(timesteps);
    this.#numInferenceSteps = numInferenceSteps;
  }

  /**
   * @param timestep Must be an integer in `[0, T)`.
   * @throws SchedulerUsageError otherwise.
   */
  protected checkTimestep(timestep: number): void {
    this.#forward.checkTimestep(timestep);
  }

  /**
   * The check of `alphaProd`, which also takes negative timesteps (past the end of the chain).
   * @param timestep Must be an integer below T.
   * @throws SchedulerUsageError otherwise.
   */
  protected checkBelowTrainTimesteps(timestep: number): void {
    if (!Number.isInteger(timestep) || timestep >= this.numTrainTimesteps) {
      throw new SchedulerUsageError(
        `timestep must be an integer below num_train_timesteps (${this.numTrainTimesteps}); got ${timestep}.`,
      );
    }
  }
}
