import type * as tf from '@tensorflow/tfjs-core';

/** What a denoiser predicts, with diffusers' names. */
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/** Result of one reverse-diffusion step. The caller owns both tensors. */
export interface SchedulerStepOutput {
  /** `x_{t-1}`, same shape as the sample. */
  readonly prevSample: tf.Tensor;
  /** The model's estimate of `x_0` at this step, same shape as the sample. */
  readonly predOriginalSample: tf.Tensor;
}

/**
 * A diffusion noise scheduler in diffusers' shape (`set_timesteps`, `step`, `add_noise`).
 * It holds no model state: only its schedule and the timesteps chosen for inference.
 */
export interface NoiseScheduler {
  /** Training timesteps T (usually 1000). */
  readonly numTrainTimesteps: number;
  /** What the paired denoiser predicts. */
  readonly predictionType: PredictionType;
  /** The inference timesteps, in the order they are visited (descending). */
  readonly timesteps: readonly number[];
  /**
   * Standard deviation of the initial noise `z_T` (diffusers' `init_noise_sigma`): pipelines
   * draw standard-normal noise and multiply it by this. 1 for DDPM and DDIM.
   */
  readonly initNoiseSigma: number;
  /** Choose `numInferenceSteps` timesteps according to the configured spacing. */
  setTimesteps(numInferenceSteps: number): void;
  /** One reverse step from `sample` = x_t with the model's output at timestep `t`. Tensors of any shape. */
  step(modelOutput: tf.Tensor, timestep: number, sample: tf.Tensor): SchedulerStepOutput;
  /** Forward diffusion: `sqrt(abar_t) * original + sqrt(1 - abar_t) * noise`, `timesteps` per batch item. */
  addNoise(original: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[] | tf.Tensor1D): tf.Tensor;
  /** The v-prediction target `sqrt(abar_t) * noise - sqrt(1 - abar_t) * sample`. */
  getVelocity(sample: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[] | tf.Tensor1D): tf.Tensor;
}
