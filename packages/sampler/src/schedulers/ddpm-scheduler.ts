import * as tf from '@tensorflow/tfjs-core';
import type { NoiseScheduler, Rng, SchedulerStepOutput } from '@yonos/core';
import type { ParseConfigOptions } from './config.js';
import {
  parseDDPMSchedulerConfig,
  toDDPMSchedulerConfigJson,
  type DDPMSchedulerConfig,
  type DDPMSchedulerConfigInput,
  type DDPMSchedulerConfigJson,
} from './ddpm-config.js';
import { checkConfigObject, DiffusionSchedulerBase } from './diffusion-scheduler-base.js';
import { dynamicThreshold } from './dynamic-threshold.js';
import { SchedulerConfigError, SchedulerUsageError } from './errors.js';
import { sameShape } from './forward-diffusion.js';
import { predictionToX0 } from './prediction.js';

/** Options of {@link DDPMScheduler.step} beyond the {@link NoiseScheduler} contract. */
export interface DDPMStepOptions {
  /**
   * Seeded source of the step's noise, needed at every timestep > 0 (DDPM adds noise on all
   * but the last step) unless `varianceNoise` is given; advanced by one `normal(shape)` draw of
   * the sample's shape. Not used (and not advanced) at timestep 0.
   */
  readonly rng?: Rng;
  /** Explicit standard-normal noise with the sample's shape, instead of `rng` (not disposed). */
  readonly varianceNoise?: tf.Tensor;
}

const f32 = Math.fround;
/** diffusers clamps the posterior variance from below before taking logs or roots. */
const MIN_VARIANCE = f32(1e-20);

/**
 * Denoising Diffusion Probabilistic Models (Ho et al. 2020), a port of diffusers 0.25
 * `DDPMScheduler`: the same config keys and defaults, schedules bit for bit, `setTimesteps`
 * (every `timestep_spacing`, `steps_offset`, custom timesteps), `step` with every
 * `variance_type`, clipping or dynamic thresholding, for epsilon-, v- and x0-predicting
 * models, and `addNoise` / `getVelocity`. Stable Diffusion's x4 upscaler uses it (as its
 * `low_res_scheduler`) to noise the low-resolution image by the requested noise level.
 *
 * Randomness only comes from the caller: `step` takes a seeded {@link Rng} or the noise
 * itself. Every tensor it returns is new and owned by the caller; inputs are never disposed.
 * Layout-agnostic, with one exception: the `learned` variance types split the model output's
 * last axis (channels in NHWC) into prediction and variance.
 *
 * One deliberate difference: with `variance_type: "fixed_large_log"`, diffusers 0.25 takes
 * the square root of `log(beta_t)` (negative, so NaN); here the log-variance is used as such,
 * giving the standard deviation `sqrt(beta_t)` that the name means.
 *
 * @example
 * ```ts
 * const lowRes = DDPMScheduler.fromConfig(JSON.parse(lowResSchedulerConfigJson));
 * const noised = lowRes.addNoise(image, createRng(seed).normal(image.shape), [noiseLevel]);
 * ```
 */
export class DDPMScheduler
  extends DiffusionSchedulerBase<DDPMSchedulerConfig, DDPMSchedulerConfigJson>
  implements NoiseScheduler
{
  #custom = false;

  /**
   * @param config Any subset of the diffusers config keys; the rest take diffusers' defaults
   *   (`linear` 1e-4..0.02, `fixed_small`, `clip_sample: true`, epsilon).
   * @param options `strict: true` rejects unknown keys.
   * @throws SchedulerConfigError for an invalid or unsupported config.
   */
  constructor(config: DDPMSchedulerConfigInput = {}, options: ParseConfigOptions = {}) {
    super(parseDDPMSchedulerConfig(config, options), toDDPMSchedulerConfigJson);
  }

  /**
   * Builds a scheduler from a parsed diffusers `scheduler_config.json` (any scheduler class's
   * config is accepted, as diffusers' `from_config` does; unknown keys are ignored unless `strict`).
   * @throws SchedulerConfigError naming the invalid key.
   */
  static fromConfig(config: unknown, options: ParseConfigOptions = {}): DDPMScheduler {
    return new DDPMScheduler(checkConfigObject(config, 'DDPMScheduler') as DDPMSchedulerConfigInput, options);
  }

  /** Whether the timesteps were given by {@link setCustomTimesteps}. */
  get customTimesteps(): boolean {
    return this.#custom;
  }

  /**
   * alpha_bar at a timestep; negative timesteps (past the end of the chain) give 1, as
   * diffusers' DDPM does.
   * @param timestep Integer < T.
   */
  alphaProd(timestep: number): number {
    this.checkBelowTrainTimesteps(timestep);
    return timestep >= 0 ? this.trainAlphasCumprod[timestep]! : 1;
  }

  /**
   * The timestep `step` moves to from `timestep`: the next of the custom timesteps (-1 after
   * the last), else `timestep - floor(T / n)` with n the inference steps (T before
   * {@link setTimesteps}, so `t - 1`). Negative means "past the end" (alpha_bar = 1).
   * @throws SchedulerUsageError for a timestep that is not one of the custom timesteps.
   */
  previousTimestep(timestep: number): number {
    if (this.#custom) {
      const timesteps = this.timesteps;
      const index = timesteps.indexOf(timestep);
      if (index < 0) {
        throw new SchedulerUsageError(
          `timestep ${timestep} is not one of the custom timesteps [${timesteps.join(', ')}]; step only at those.`,
        );
      }
      return index === timesteps.length - 1 ? -1 : timesteps[index + 1]!;
    }
    return timestep - Math.floor(this.numTrainTimesteps / (this.numInferenceSteps ?? this.numTrainTimesteps));
  }

  /**
   * Chooses `numInferenceSteps` timesteps by the configured `timestep_spacing` (see
   * {@link spaceTimesteps}) and makes them {@link timesteps}, replacing any custom timesteps.
   * @param numInferenceSteps Integer in `[1, T]`.
   */
  override setTimesteps(numInferenceSteps: number): void {
    super.setTimesteps(numInferenceSteps);
    this.#custom = false;
  }

  /**
   * Uses the given timesteps (diffusers' `set_timesteps(timesteps=...)`): each step goes to
   * the next one, the last to the end of the chain.
   * @param timesteps Integers in `[0, T)`, strictly descending, at least one.
   * @throws SchedulerUsageError otherwise.
   */
  setCustomTimesteps(timesteps: readonly number[]): void {
    if (timesteps.length === 0) throw new SchedulerUsageError('custom timesteps must hold at least one timestep.');
    timesteps.forEach((t) => this.checkTimestep(t));
    for (let i = 1; i < timesteps.length; i++) {
      if (timesteps[i]! >= timesteps[i - 1]!) {
        throw new SchedulerUsageError(`custom timesteps must be strictly descending; got [${timesteps.join(', ')}].`);
      }
    }
    this.useTimesteps([...timesteps], timesteps.length);
    this.#custom = true;
  }

  /**
   * One ancestral DDPM step from x_t to x_{t'} with `t' =` {@link previousTimestep}`(t)`
   * (DDPM eq. 6-7, with `beta_t = 1 - abar_t / abar_{t'}` for strided steps):
   * `x_{t'} = sqrt(abar_{t'}) beta_t / (1 - abar_t) * x0 + sqrt(1 - beta_t) (1 - abar_{t'}) / (1 - abar_t) * x_t + sigma_t * z`,
   * x0 clipped (or thresholded) as configured, `sigma_t` by `variance_type`, and no noise at t = 0.
   * @param modelOutput The model's output at (x_t, t), float32: epsilon, v or x0 per
   *   `prediction_type`; for the `learned` variance types it may carry the variance as a second
   *   half of its last axis (twice the sample's channels).
   * @param timestep t, an integer in `[0, T)` (one of the custom timesteps if those are set).
   * @param sample x_t, float32.
   * @param options The noise source for t > 0; see {@link DDPMStepOptions}.
   * @returns `prevSample` x_{t'} and `predOriginalSample` x0 (clipped or thresholded), the sample's shape; caller owns both.
   * @throws SchedulerUsageError for a bad timestep, shapes, or a missing or doubled noise source.
   */
  step(modelOutput: tf.Tensor, timestep: number, sample: tf.Tensor, options: DDPMStepOptions = {}): SchedulerStepOutput {
    const { rng, varianceNoise } = options;
    this.checkTimestep(timestep);
    const prevTimestep = this.previousTimestep(timestep);
    const learned = this.config.variance_type === 'learned' || this.config.variance_type === 'learned_range';
    const split = learned && splitsVariance(modelOutput, sample);
    if (!split && !sameShape(modelOutput, sample)) {
      const hint = learned ? ` (or twice the channels on the last axis, for variance_type "${this.config.variance_type}")` : '';
      throw new SchedulerUsageError(
        `modelOutput must have the sample's shape [${sample.shape.join(', ')}]${hint}; got [${modelOutput.shape.join(', ')}].`,
      );
    }
    const noisy = timestep > 0;
    if (noisy && learned && !split) {
      throw new SchedulerUsageError(
        `variance_type "${this.config.variance_type}" needs the model's variance at timestep ${timestep}: ` +
          "give a modelOutput with twice the sample's channels on the last axis.",
      );
    }
    if (noisy) {
      if (rng !== undefined && varianceNoise !== undefined) {
        throw new SchedulerUsageError('give either rng or varianceNoise to step(), not both.');
      }
      if (rng === undefined && varianceNoise === undefined) {
        throw new SchedulerUsageError(
          `DDPMScheduler.step adds noise at every timestep > 0 (here ${timestep}): pass { rng } (a seeded Rng) or { varianceNoise }.`,
        );
      }
      if (varianceNoise !== undefined && !sameShape(varianceNoise, sample)) {
        throw new SchedulerUsageError(
          `varianceNoise must have the sample's shape [${sample.shape.join(', ')}]; got [${varianceNoise.shape.join(', ')}].`,
        );
      }
    }

    // Scalars are rounded as diffusers' float32 0-d tensors round them.
    const a = this.trainAlphasCumprod[timestep]!;
    const aPrev = this.alphaProd(prevTimestep);
    const betaProd = f32(1 - a);
    const betaProdPrev = f32(1 - aPrev);
    const currentAlpha = f32(a / aPrev);
    const currentBeta = f32(1 - currentAlpha);
    const x0Coef = f32(f32(f32(Math.sqrt(aPrev)) * currentBeta) / betaProd);
    const sampleCoef = f32(f32(f32(Math.sqrt(currentAlpha)) * betaProdPrev) / betaProd);
    const posteriorVariance = Math.max(f32(f32(betaProdPrev / betaProd) * currentBeta), MIN_VARIANCE);
    const { clip_sample: clip, clip_sample_range: range, prediction_type: type, thresholding } = this.config;

    return tf.tidy(() => {
      const channels = sample.shape[sample.rank - 1]!;
      const prediction = split ? sliceLast(modelOutput, 0, channels) : modelOutput;
      let x0 = predictionToX0(type, prediction, sample, a);
      if (thresholding) x0 = dynamicThreshold(x0, this.config.dynamic_thresholding_ratio, this.config.sample_max_value);
      else if (clip) x0 = tf.clipByValue(x0, -range, range);
      let prev = tf.add(tf.mul(x0Coef, x0), tf.mul(sampleCoef, sample));
      if (noisy) {
        const predicted = split ? sliceLast(modelOutput, channels, channels) : undefined;
        const std = this.#standardDeviation(posteriorVariance, currentBeta, predicted);
        const noise = varianceNoise ?? (rng as Rng).normal(sample.shape);
        prev = tf.add(prev, tf.mul(std, noise));
      }
      return { prevSample: prev, predOriginalSample: x0 };
    });
  }

  /** sigma_t of the step, a number or (learned types) a tensor. Must run inside `tf.tidy`. */
  #standardDeviation(posteriorVariance: number, currentBeta: number, predicted: tf.Tensor | undefined): number | tf.Tensor {
    const viaLog = (variance: number): number => f32(Math.exp(f32(0.5 * f32(Math.log(variance)))));
    switch (this.config.variance_type) {
      case 'fixed_small':
        return f32(Math.sqrt(posteriorVariance));
      case 'fixed_small_log':
        return viaLog(posteriorVariance);
      case 'fixed_large':
        return f32(Math.sqrt(currentBeta));
      case 'fixed_large_log':
        return viaLog(currentBeta);
      case 'learned':
        return tf.sqrt(predicted!);
      case 'learned_range': {
        const minLog = f32(Math.log(posteriorVariance));
        const maxLog = f32(Math.log(currentBeta));
        const frac = tf.div(tf.add(predicted!, 1), 2);
        const logVariance = tf.add(tf.mul(frac, maxLog), tf.mul(tf.sub(1, frac), minLog));
        return tf.exp(tf.mul(0.5, logVariance));
      }
      default:
        throw new SchedulerConfigError(`unsupported variance_type ${String(this.config.variance_type as unknown)}.`);
    }
  }
}

/** Whether `output` is `sample`'s shape with twice the channels on the last axis. */
function splitsVariance(output: tf.Tensor, sample: tf.Tensor): boolean {
  const last = sample.rank - 1;
  return (
    output.rank === sample.rank &&
    sample.rank >= 1 &&
    output.shape[last] === 2 * sample.shape[last]! &&
    sample.shape.every((d, i) => i === last || d === output.shape[i])
  );
}

/** `x[..., begin:begin + size]` on the last axis. */
function sliceLast(x: tf.Tensor, begin: number, size: number): tf.Tensor {
  const starts = x.shape.map((_, i) => (i === x.rank - 1 ? begin : 0));
  const sizes = x.shape.map((d, i) => (i === x.rank - 1 ? size : d));
  return tf.slice(x, starts, sizes);
}
