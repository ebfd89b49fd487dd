import { CliUsageError } from '../errors.js';
import type { ModelFolder } from './model-folder.js';
import type { UpscaleOptions } from './options.js';

/**
 * `yonos upscale` was given a Stable Diffusion upscaler folder that holds no prompt embeddings,
 * and no `--prompt-embeds`: the upscaler's U-Net needs a prompt's embeddings, and YONOS has no
 * text encoder to make them.
 */
export class MissingPromptEmbeddingsError extends CliUsageError {}

/** The options only an upscaler folder takes, with their flags. */
const UPSCALER_ONLY = [
  ['promptEmbeds', '--prompt-embeds'],
  ['guidance', '--guidance'],
  ['noiseLevel', '--noise-level'],
  ['schedule', '--schedule'],
] as const;

/**
 * Checks the command's options against the model folder before anything loads: the upscaler
 * options only with an upscaler folder, prompt embeddings for an upscaler folder (its own, or
 * `--prompt-embeds`), a noise level up to its `max_noise_level`.
 * @throws {@link MissingPromptEmbeddingsError}; {@link CliUsageError} naming the option.
 */
export function checkModelOptions(folder: ModelFolder, options: UpscaleOptions, shown: string): void {
  if (folder.kind === 'yonos') {
    for (const [key, flag] of UPSCALER_ONLY) {
      if (options[key] !== undefined) {
        throw new CliUsageError(`${flag} only applies to a Stable Diffusion upscaler folder (StableDiffusionUpscalePipeline); ${shown} is a YonosPipeline folder.`);
      }
    }
    return;
  }
  if (options.promptEmbeds === undefined && folder.index.prompt_embeddings === undefined) {
    throw new MissingPromptEmbeddingsError(
      `${shown} is a StableDiffusionUpscalePipeline folder without prompt embeddings: pass --prompt-embeds <file.safetensors> ` +
        '(prompt_embeds, and negative_prompt_embeds for --guidance above 1); the "Bring Stable Diffusion weights" guide shows how to make the file with diffusers.',
    );
  }
  const max = folder.index.max_noise_level;
  if (options.noiseLevel !== undefined && options.noiseLevel > max) {
    throw new CliUsageError(`--noise-level ${options.noiseLevel} is above this upscaler's max_noise_level ${max} (${shown}): pass at most ${max}.`);
  }
}
