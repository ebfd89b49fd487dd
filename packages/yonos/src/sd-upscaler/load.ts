import type { UpscalerSchedule } from '@yonos/distill';
import { StableDiffusionUpscalePipeline } from '@yonos/sampler';
import '../model-classes.js';
import { withSchedule } from './schedule.js';

/** Options of {@link loadUpscaler}. */
export interface LoadUpscalerOptions {
  /** A `.safetensors` file (path or URL) with `prompt_embeds` (and `negative_prompt_embeds`); default the folder's own, if it has them. */
  readonly promptEmbeds?: string | undefined;
  /** Weights variant of the U-Net and VAE (`'fp16'`). */
  readonly variant?: string | undefined;
  /** How runs place their steps (see `UPSCALER_SCHEDULES`). */
  readonly schedule: UpscalerSchedule;
}

/** A loaded Stable Diffusion x4 upscaler folder. */
export interface LoadedUpscaler {
  /** The folder's pipeline with its own scheduler (what `savePretrained` writes back); owns the models. */
  readonly folder: StableDiffusionUpscalePipeline;
  /** The pipeline runs use: {@link LoadedUpscaler.folder} with the chosen schedule, over the same models. */
  readonly sampling: StableDiffusionUpscalePipeline;
  /** Frees the models and the prompt embeddings. */
  dispose(): void;
}

/**
 * Loads a diffusers `StableDiffusionUpscalePipeline` folder (a directory or an `https://` URL,
 * e.g. `https://huggingface.co/<repo>/resolve/main/`) with its classes registered, and the
 * pipeline its runs use (see `withSchedule`).
 * @throws `PretrainedError` for missing or bad files; `PipelineInputError` for models that do not fit.
 */
export async function loadUpscaler(location: string, options: LoadUpscalerOptions): Promise<LoadedUpscaler> {
  const folder = await StableDiffusionUpscalePipeline.fromPretrained(location, {
    ...(options.promptEmbeds !== undefined ? { promptEmbeddings: options.promptEmbeds } : {}),
    ...(options.variant !== undefined ? { variant: options.variant } : {}),
  });
  let sampling: StableDiffusionUpscalePipeline;
  try {
    sampling = withSchedule(folder, options.schedule);
  } catch (error) {
    folder.dispose();
    throw error;
  }
  return {
    folder,
    sampling,
    dispose: () => {
      if (sampling !== folder) sampling.dispose({ components: false });
      folder.dispose();
    },
  };
}
