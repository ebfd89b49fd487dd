import type { NoiseScheduler } from '@yonos/core';
import type { UpscalerSchedule } from '@yonos/distill';
import { DDIMScheduler, PipelineInputError, StableDiffusionUpscalePipeline } from '@yonos/sampler';

/**
 * The scheduler of YONOS sampling for an upscaler whose own scheduler is `scheduler`: DDIM on
 * the same noise schedule and prediction type, with `trailing` timesteps (one step denoises
 * once at t = T - 1, from pure noise; the x4 upscaler's own `leading` spacing with
 * `steps_offset` 1 would denoise at t = 1 only) and `set_alpha_to_one` (the last step lands on
 * the predicted `z_0` rather than at alpha_bar_0, as `YonosPipeline`'s scheduler does).
 * @throws PipelineInputError for a scheduler without a diffusers config to read the schedule from.
 */
export function yonosUpscalerScheduler(scheduler: NoiseScheduler): DDIMScheduler {
  const config = (scheduler as { config?: unknown }).config;
  if (typeof config !== 'object' || config === null) {
    throw new PipelineInputError(`the upscaler's scheduler (${scheduler.constructor.name}) has no diffusers config to take the noise schedule from.`);
  }
  return DDIMScheduler.fromConfig({ ...config, timestep_spacing: 'trailing', set_alpha_to_one: true });
}

/**
 * A pipeline over the same models and prompt embeddings that samples with `schedule`: for
 * `model`, `pipeline` itself; for `yonos`, a new pipeline with {@link yonosUpscalerScheduler}
 * that does not own the models (dispose it with `{ components: false }`).
 */
export function withSchedule(pipeline: StableDiffusionUpscalePipeline, schedule: UpscalerSchedule): StableDiffusionUpscalePipeline {
  if (schedule === 'model') return pipeline;
  const embeddings = pipeline.promptEmbeddings;
  return new StableDiffusionUpscalePipeline({
    vae: pipeline.vae,
    unet: pipeline.unet,
    scheduler: yonosUpscalerScheduler(pipeline.scheduler),
    lowResScheduler: pipeline.lowResScheduler,
    maxNoiseLevel: pipeline.maxNoiseLevel,
    latentMultiple: pipeline.latentMultiple,
    ...(embeddings !== undefined ? { promptEmbeddings: embeddings } : {}),
  });
}
