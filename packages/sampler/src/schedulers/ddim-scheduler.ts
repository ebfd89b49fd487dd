import * as tf from '@tensorflow/tfjs-core';
import type { NoiseScheduler, PredictionType, Rng, SchedulerStepOutput } from '@yonos/core';
import { alphasCumprod, betasFromConfig } from './beta-schedules.js';
import {
  parseDDIMSchedulerConfig,
  toDDIMSchedulerConfigJson,
  type DDIMSchedulerConfig,
  type DDIMSchedulerConfigInput,
  type DDIMSchedulerConfigJson,
  type ParseConfigOptions,
} from './config.js';
import { SchedulerConfigError, SchedulerUsageError } from './errors.js';
import { ForwardDiffusion, sameShape } from './forward-diffusion.js';
import { epsilonFromX0, predictionToEpsilon, predictionToX0 } from './prediction.js';
import { spaceTimesteps } from './timestep-spacing.js';

/** Options of {@link DDIMScheduler.step} beyond the {@link NoiseScheduler} contract. */
export interface DDIMStepOptions {
  /**
   * DDIM's eta in [0, 1]: 0 (default) is deterministic DDIM, 1 is DDPM-like ancestral
   * sampling. When > 0, exactly one of `rng` and `varianceNoise` must be given.
   */
  readonly eta?: number;
  /** Seeded source of the step's noise when `eta > 0`; advanced by one `normal(sample.shape)` draw. */
  readonly rng?: Rng;
  /** Explicit standard-normal noise, same shape as the sample, instead of `rng` (not disposed). */
  readonly varianceNoise?: tf.Tensor;
  /**
   * Re-derive epsilon from the clipped x0 (diffusers' `use_clipped_model_output`, as GLIDE
   * does). Only matters with `clip_sample`. Default `false`.
   */
  readonly useClippedModelOutput?: boolean;
}

const f32 = Math.fround;

/**
 * Denoising Diffusion Implicit Models sampler (Song et al. 2021), a port of diffusers 0.25
 * `DDIMScheduler` that reproduces its schedules bit for bit and its steps to float32
 * rounding, for epsilon-, v- and x0-predicting denoisers.
 *
 * It holds no model state: only the schedule (host-side numbers) and the chosen timesteps.
 * Every tensor it returns is new and owned by the caller; inputs are never disposed.
 *
 * @example
 * ```ts
 * const scheduler = DDIMScheduler.fromConfig(JSON.parse(schedulerConfigJson));
 * scheduler.setTimesteps(1);
 * const t = scheduler.timesteps[0];
 * const { prevSample, predOriginalSample } = scheduler.step(v, t, zT);
 * ```
 */
export class DDIMScheduler implements NoiseScheduler {
  /** The validated configuration, diffusers keys. */
  readonly config: DDIMSchedulerConfig;
  /** Standard deviation of the initial noise x_T (always 1 for DDIM). */
  readonly initNoiseSigma = 1;

  /**
   * Latent-sized tensors one {@link DDIMScheduler.step} holds at its peak, its outputs
   * included, as measured: x0, epsilon, two products and their sum (5), plus the clipped x0
   * with `clip_sample` (6). Pipelines budget memory with it.
   */
  get stepCopies(): number {
    return this.config.clip_sample ? 6 : 5;
  }

  readonly #betas: Float64Array;
  readonly #alphasCumprod: Float64Array;
  readonly #finalAlphaCumprod: number;
  readonly #forward: ForwardDiffusion;
  #timesteps: readonly number[];
  #numInferenceSteps: number | undefined;

  /**
   * @param config Any subset of the diffusers config keys; the rest take diffusers' defaults
   *   (note those are DDPM's `linear` 1e-4..0.02 and `clip_sample: true`, not Stable Diffusion's).
   * @param options `strict: true` rejects unknown keys.
   * @throws SchedulerConfigError for an invalid or unsupported config.
   */
  constructor(config: DDIMSchedulerConfigInput = {}, options: ParseConfigOptions = {}) {
    this.config = parseDDIMSchedulerConfig(config, options);
    this.#betas = betasFromConfig(this.config);
    this.#alphasCumprod = alphasCumprod(this.#betas);
    this.#forward = new ForwardDiffusion(this.#alphasCumprod);
    this.#finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.#alphasCumprod[0];
    // Until setTimesteps, diffusers exposes every training timestep, descending.
    this.#timesteps = Object.freeze(Array.from({ length: this.numTrainTimesteps }, (_, i) => this.numTrainTimesteps - 1 - i));
    this.#numInferenceSteps = undefined;
  }

  /**
   * Builds a scheduler from a parsed diffusers `scheduler_config.json` (any scheduler class's
   * config is accepted, as diffusers' `DDIMScheduler.from_config` does; unknown keys are
   * ignored unless `strict`).
   * @throws SchedulerConfigError naming the invalid key.
   */
  static fromConfig(config: unknown, options: ParseConfigOptions = {}): DDIMScheduler {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new SchedulerConfigError('DDIMScheduler.fromConfig expects the parsed scheduler_config.json object.');
    }
    return new DDIMScheduler(config as DDIMSchedulerConfigInput, options);
  }

  /** The complete config as diffusers writes `scheduler/scheduler_config.json` (a fresh object). */
  toConfig(): DDIMSchedulerConfigJson {
    return toDDIMSchedulerConfigJson(this.config);
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

  /** The n of the last {@link setTimesteps}, or `undefined` before it. */
  get numInferenceSteps(): number | undefined {
    return this.#numInferenceSteps;
  }

  /** A copy of the `[T]` betas (float32 values, as diffusers holds them). */
  get betas(): Float64Array {
    return this.#betas.slice();
  }

  /** A copy of the `[T]` `alphas_cumprod` (alpha_bar_t, float32 values, non-increasing in [0, 1]). */
  get alphasCumprod(): Float64Array {
    return this.#alphasCumprod.slice();
  }

  /** alpha_bar used after the last step: 1 with `set_alpha_to_one`, else alpha_bar_0. */
  get finalAlphaCumprod(): number {
    return this.#finalAlphaCumprod;
  }

  /**
   * alpha_bar at a timestep; negative timesteps (past the end of the chain) give
   * {@link finalAlphaCumprod}, as in diffusers.
   * @param timestep Integer < T.
   */
  alphaProd(timestep: number): number {
    if (!Number.isInteger(timestep) || timestep >= this.numTrainTimesteps) {
      throw new SchedulerUsageError(
        `timestep must be an integer below num_train_timesteps (${this.numTrainTimesteps}); got ${timestep}.`,
      );
    }
    return timestep >= 0 ? this.#alphasCumprod[timestep] : this.#finalAlphaCumprod;
  }

  /**
   * The timestep `step` moves to from `timestep`: `timestep - floor(T / n)` (diffusers'
   * rule, for every spacing; negative means "past the end", using {@link finalAlphaCumprod}).
   * @throws SchedulerUsageError before {@link setTimesteps}.
   */
  previousTimestep(timestep: number): number {
    return timestep - Math.floor(this.numTrainTimesteps / this.#requireSteps());
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
    this.#timesteps = Object.freeze(ts);
    this.#numInferenceSteps = numInferenceSteps;
  }

  /**
   * One DDIM step from x_t to x_{t'} with `t' =` {@link previousTimestep}`(t)` (DDIM paper eq. 12):
   * `x_{t'} = sqrt(abar_{t'}) * x0 + sqrt(1 - abar_{t'} - sigma^2) * epsilon + sigma * noise`,
   * with `sigma = eta * sqrt((1 - abar_{t'}) / (1 - abar_t) * (1 - abar_t / abar_{t'}))`.
   * @param modelOutput The denoiser's output at (x_t, t): epsilon, v or x0 per `prediction_type`. Any shape, float32.
   * @param timestep t, an integer in `[0, T)` (normally one of {@link timesteps}).
   * @param sample x_t, same shape as `modelOutput`.
   * @param options eta and its noise source; see {@link DDIMStepOptions}.
   * @returns `prevSample` x_{t'} and `predOriginalSample` x0 (clipped if `clip_sample`), same shape; caller owns both.
   * @throws SchedulerUsageError before {@link setTimesteps}, for a bad timestep, shapes, eta or noise source.
   */
  step(modelOutput: tf.Tensor, timestep: number, sample: tf.Tensor, options: DDIMStepOptions = {}): SchedulerStepOutput {
    const { eta = 0, rng, varianceNoise, useClippedModelOutput = false } = options;
    const prevTimestep = this.previousTimestep(timestep);
    this.#checkTimestep(timestep);
    if (!(Number.isFinite(eta) && eta >= 0)) {
      throw new SchedulerUsageError(`eta must be a finite number >= 0, got ${eta}.`);
    }
    const noisy = eta > 0;
    if (noisy) {
      if (rng !== undefined && varianceNoise !== undefined) {
        throw new SchedulerUsageError('give either rng or varianceNoise to step(), not both.');
      }
      if (rng === undefined && varianceNoise === undefined) {
        throw new SchedulerUsageError(
          'step() with eta > 0 needs a noise source: pass { rng } (a seeded Rng) or { varianceNoise }.',
        );
      }
      if (varianceNoise !== undefined && !sameShape(varianceNoise, sample)) {
        throw new SchedulerUsageError(
          `varianceNoise must have the sample's shape [${sample.shape.join(', ')}]; got [${varianceNoise.shape.join(', ')}].`,
        );
      }
    }

    const a = this.#alphasCumprod[timestep];
    const aPrev = this.alphaProd(prevTimestep);
    // Scalars are rounded as diffusers' float32 0-d tensors round them.
    let sigma = 0;
    if (noisy) {
      const variance = f32(f32(f32(1 - aPrev) / f32(1 - a)) * f32(1 - f32(a / aPrev)));
      sigma = f32(eta * f32(Math.sqrt(variance)));
    }
    const directionSq = f32(f32(1 - aPrev) - f32(sigma * sigma));
    if (directionSq < 0) {
      throw new SchedulerUsageError(
        `eta = ${eta} makes the step's noise exceed the noise level of timestep ${prevTimestep}; use eta in [0, 1].`,
      );
    }
    const directionCoef = f32(Math.sqrt(directionSq));
    const prevSignalCoef = f32(Math.sqrt(f32(aPrev)));
    const { clip_sample: clip, clip_sample_range: range, prediction_type: type } = this.config;

    return tf.tidy(() => {
      let x0 = predictionToX0(type, modelOutput, sample, a);
      let epsilon = predictionToEpsilon(type, modelOutput, sample, a);
      if (clip) {
        x0 = tf.clipByValue(x0, -range, range);
        if (useClippedModelOutput) epsilon = epsilonFromX0(sample, x0, a);
      }
      let prev = tf.add(tf.mul(prevSignalCoef, x0), tf.mul(directionCoef, epsilon));
      if (noisy) {
        const noise = varianceNoise ?? (rng as Rng).normal(sample.shape);
        prev = tf.add(prev, tf.mul(sigma, noise));
      }
      return { prevSample: prev, predOriginalSample: x0 };
    });
  }

  /**
   * Forward diffusion `sqrt(abar_t) * original + sqrt(1 - abar_t) * noise`, per batch item.
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

  #requireSteps(): number {
    if (this.#numInferenceSteps === undefined) {
      throw new SchedulerUsageError('call setTimesteps(numInferenceSteps) before step().');
    }
    return this.#numInferenceSteps;
  }

  #checkTimestep(t: number): void {
    this.#forward.checkTimestep(t);
  }
}

