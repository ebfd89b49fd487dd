import * as tf from '@tensorflow/tfjs-core';
import type { NoiseScheduler, Rng, SchedulerStepOutput } from '@yonos/core';
import {
  parseDDIMSchedulerConfig,
  toDDIMSchedulerConfigJson,
  type DDIMSchedulerConfig,
  type DDIMSchedulerConfigInput,
  type DDIMSchedulerConfigJson,
  type ParseConfigOptions,
} from './config.js';
import { checkConfigObject, DiffusionSchedulerBase } from './diffusion-scheduler-base.js';
import { SchedulerUsageError } from './errors.js';
import { sameShape } from './forward-diffusion.js';
import { epsilonFromX0, predictionToEpsilon, predictionToX0 } from './prediction.js';

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
export class DDIMScheduler
  extends DiffusionSchedulerBase<DDIMSchedulerConfig, DDIMSchedulerConfigJson>
  implements NoiseScheduler
{
  /**
   * Latent-sized tensors one {@link DDIMScheduler.step} holds at its peak, its outputs
   * included, as measured: x0, epsilon, two products and their sum (5), plus the clipped x0
   * with `clip_sample` (6). Pipelines budget memory with it.
   */
  get stepCopies(): number {
    return this.config.clip_sample ? 6 : 5;
  }

  readonly #finalAlphaCumprod: number;

  /**
   * @param config Any subset of the diffusers config keys; the rest take diffusers' defaults
   *   (note those are DDPM's `linear` 1e-4..0.02 and `clip_sample: true`, not Stable Diffusion's).
   * @param options `strict: true` rejects unknown keys.
   * @throws SchedulerConfigError for an invalid or unsupported config.
   */
  constructor(config: DDIMSchedulerConfigInput = {}, options: ParseConfigOptions = {}) {
    super(parseDDIMSchedulerConfig(config, options), toDDIMSchedulerConfigJson);
    this.#finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.trainAlphasCumprod[0]!;
  }

  /**
   * Builds a scheduler from a parsed diffusers `scheduler_config.json` (any scheduler class's
   * config is accepted, as diffusers' `DDIMScheduler.from_config` does; unknown keys are
   * ignored unless `strict`).
   * @throws SchedulerConfigError naming the invalid key.
   */
  static fromConfig(config: unknown, options: ParseConfigOptions = {}): DDIMScheduler {
    return new DDIMScheduler(checkConfigObject(config, 'DDIMScheduler') as DDIMSchedulerConfigInput, options);
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
    this.checkBelowTrainTimesteps(timestep);
    return timestep >= 0 ? this.trainAlphasCumprod[timestep]! : this.#finalAlphaCumprod;
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
    this.checkTimestep(timestep);
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

    const a = this.trainAlphasCumprod[timestep]!;
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

  #requireSteps(): number {
    if (this.numInferenceSteps === undefined) {
      throw new SchedulerUsageError('call setTimesteps(numInferenceSteps) before step().');
    }
    return this.numInferenceSteps;
  }
}

