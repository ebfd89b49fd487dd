import { YonosPipeline } from '@yonos/sampler';
import '../../model-classes.js';
import { loadUpscaler } from '../../sd-upscaler/load.js';
import { DEFAULT_UPSCALER_NOISE_LEVEL, defaultGuidanceScale } from '../../sd-upscaler/run-defaults.js';
import { CliUsageError } from '../errors.js';
import type { ImageUpscaler } from './image-upscaler.js';
import type { ModelFolder } from './model-folder.js';
import type { UpscaleOptions } from './options.js';
import { sdImageUpscaler } from './sd-image-upscaler.js';
import { tileOptions } from './tile.js';
import { yonosImageUpscaler } from './yonos-image-upscaler.js';

/** A model folder loaded for one `yonos upscale` run. */
export interface LoadedModel {
  /** The pipeline with the command's run settings. */
  readonly upscaler: ImageUpscaler;
  /** The run settings for the summary line (`steps 1, seed 0` and, for an upscaler, its own). */
  readonly settings: string;
  /** Frees the weights. */
  dispose(): void;
}

/** The options of `yonos upscale` that say how a model runs. */
export type ModelRunOptions = Pick<UpscaleOptions, 'steps' | 'seed' | 'tile' | 'memory' | 'promptEmbeds' | 'guidance' | 'noiseLevel' | 'schedule'>;

/**
 * Loads the folder (a directory or a URL) and applies the command's run settings. A
 * `YonosPipeline` runs `--steps` DDIM steps as its scheduler says. A Stable Diffusion upscaler
 * runs with its prompt embeddings (`--prompt-embeds`, else the folder's), `--noise-level`
 * (default 20, diffusers'), `--guidance` (default 9, diffusers', when the embeddings hold a
 * negative prompt, else 1) and `--schedule` (default `yonos`: trailing timesteps and a last
 * step onto `z_0`, so `--steps 1` is one step from pure noise at t = 999, as YONOS samples).
 * Call {@link checkModelOptions} first; on the active backend.
 * @throws {@link CliUsageError} for `--tile` sizes the model cannot take or guidance without a
 *   negative prompt; `PretrainedError` for missing or bad files.
 */
export async function loadModel(folder: ModelFolder, options: ModelRunOptions): Promise<LoadedModel> {
  const base = `steps ${options.steps}, seed ${options.seed}`;
  if (folder.kind === 'yonos') {
    const pipeline = await YonosPipeline.fromPretrained(folder.location);
    try {
      const tile = tileOptions(options.tile, pipeline, options.memory);
      return { upscaler: yonosImageUpscaler(pipeline, { steps: options.steps, seed: options.seed, tile }), settings: base, dispose: () => pipeline.dispose() };
    } catch (error) {
      pipeline.dispose();
      throw error;
    }
  }
  const schedule = options.schedule ?? 'yonos';
  const loaded = await loadUpscaler(folder.location, { promptEmbeds: options.promptEmbeds, schedule });
  try {
    const pipeline = loaded.sampling;
    const guidanceScale = options.guidance ?? defaultGuidanceScale(pipeline.promptEmbeddings);
    if (guidanceScale > 1 && pipeline.promptEmbeddings?.negativePromptEmbeds === undefined) {
      throw new CliUsageError(
        `--guidance ${guidanceScale} needs negative_prompt_embeds in the prompt embeddings (the unconditional side of classifier-free guidance): add them to the file, or pass --guidance 1.`,
      );
    }
    const noiseLevel = options.noiseLevel ?? DEFAULT_UPSCALER_NOISE_LEVEL;
    const tile = tileOptions(options.tile, pipeline, options.memory);
    return {
      upscaler: sdImageUpscaler(pipeline, { steps: options.steps, seed: options.seed, guidanceScale, noiseLevel, tile }),
      settings: `${base}, ${schedule} schedule, noise level ${noiseLevel}, guidance ${guidanceScale}`,
      dispose: () => loaded.dispose(),
    };
  } catch (error) {
    loaded.dispose();
    throw error;
  }
}
