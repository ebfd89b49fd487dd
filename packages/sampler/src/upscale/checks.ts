import type { Denoiser, LatentCodec, NoiseScheduler } from '@yonos/core';
import { PipelineInputError } from '../pipeline/errors.js';

/** The channels of the image the x4 upscaler concatenates to its latents. */
export const LOW_RES_CHANNELS = 3;

/**
 * Checks that the models of an upscaler fit together and take the noise level.
 * @throws PipelineInputError saying what does not fit.
 */
export function checkUpscaleComponents(vae: LatentCodec, unet: Denoiser, lowResScheduler: NoiseScheduler, maxNoiseLevel: number): void {
  const c = vae.latentChannels;
  if (unet.inChannels !== c + LOW_RES_CHANNELS || unet.outChannels !== c) {
    throw new PipelineInputError(
      `the denoiser takes ${unet.inChannels} channels and returns ${unet.outChannels}, but an x4-upscaler denoiser takes ` +
        `concat(latents, noised low-res image) = ${c} + ${LOW_RES_CHANNELS} channels and returns ${c} (the codec's latent channels).`,
    );
  }
  if (unet.crossAttentionDim === undefined) {
    throw new PipelineInputError('the denoiser has no cross-attention (crossAttentionDim is undefined); the x4 upscaler is conditioned on prompt embeddings.');
  }
  const conditioning = unet.classConditioning;
  if (conditioning === undefined) {
    throw new PipelineInputError(
      'the denoiser takes no class labels (classConditioning is undefined); the x4 upscaler feeds it the noise level as a class label ' +
        '(a U-Net with num_class_embeds, e.g. 1000).',
    );
  }
  if (!Number.isInteger(maxNoiseLevel) || maxNoiseLevel < 0) {
    throw new PipelineInputError(`maxNoiseLevel must be an integer >= 0, got ${String(maxNoiseLevel)}.`);
  }
  if (maxNoiseLevel >= lowResScheduler.numTrainTimesteps) {
    throw new PipelineInputError(
      `maxNoiseLevel ${maxNoiseLevel} is not a timestep of the low-res scheduler (num_train_timesteps ${lowResScheduler.numTrainTimesteps}).`,
    );
  }
  if (conditioning.kind === 'index' && maxNoiseLevel >= conditioning.numClasses) {
    throw new PipelineInputError(
      `maxNoiseLevel ${maxNoiseLevel} is not a class of the denoiser (it has ${conditioning.numClasses}: num_class_embeds).`,
    );
  }
}

/**
 * @throws PipelineInputError unless `level` is an integer in `[0, maxNoiseLevel]`, as diffusers'
 *   `check_inputs` requires.
 */
export function checkNoiseLevel(level: number, maxNoiseLevel: number): void {
  if (!Number.isInteger(level) || level < 0 || level > maxNoiseLevel) {
    throw new PipelineInputError(`noiseLevel must be an integer in [0, ${maxNoiseLevel}] (max_noise_level); got ${String(level)}.`);
  }
}

/** @throws PipelineInputError unless `scale` is a finite number. */
export function checkGuidanceScale(scale: number): void {
  if (typeof scale !== 'number' || !Number.isFinite(scale)) {
    throw new PipelineInputError(`guidanceScale must be a finite number (above 1 turns classifier-free guidance on), got ${String(scale)}.`);
  }
}
