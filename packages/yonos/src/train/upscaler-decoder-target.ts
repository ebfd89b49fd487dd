import { YonosError, openModelStore } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import { upscalerRunSchema } from '@yonos/distill';
import type { DecoderTrainConfig, TrainableCodec } from '@yonos/distill';
import { MODEL_INDEX_NAME, parseUpscaleModelIndex } from '@yonos/sampler';
import type { UpscaleModelIndex } from '@yonos/sampler';
import { AutoencoderKL, AutoencoderTiny } from '@yonos/vae';
import { loadUpscaler } from '../sd-upscaler/load.js';
import { upscalerOneStepLatent } from '../sd-upscaler/one-step-latent.js';
import { defaultGuidanceScale } from '../sd-upscaler/run-defaults.js';
import type { DecoderTarget } from './decoder-target.js';
import { TrainSetupError } from './errors.js';

async function readIndex(location: string): Promise<UpscaleModelIndex> {
  try {
    const store = await openModelStore(location);
    return parseUpscaleModelIndex(await store.readText(MODEL_INDEX_NAME), store.location);
  } catch (cause) {
    if (!(cause instanceof YonosError)) throw cause;
    throw new TrainSetupError(`models.upscaler: ${cause.message} Point models.upscaler.pretrained at a StableDiffusionUpscalePipeline folder.`, { cause });
  }
}

/**
 * The decoder target of a config with `models.upscaler`: a Stable Diffusion x4 upscaler folder
 * (a directory or an `https://` URL) whose own VAE decoder is tuned on its frozen U-Net's
 * one-step latents, made as `yonos upscale` runs the folder with the config's `upscaler`
 * options (`upscalerOneStepLatent`); the result is written as an upscaler folder (tuned VAE,
 * the folder's U-Net, schedulers and `max_noise_level`, and the prompt embeddings), which
 * `yonos upscale --model` runs without `--prompt-embeds`.
 * Everything that can be checked before the weights load is checked first.
 * @throws {@link TrainSetupError} naming the key to change.
 */
export async function upscalerDecoderTarget(config: DecoderTrainConfig): Promise<DecoderTarget> {
  const source = config.models.upscaler!;
  const run = config.upscaler ?? upscalerRunSchema.parse({});
  const index = await readIndex(source.pretrained);
  if (run.prompt_embeds === undefined && index.prompt_embeddings === undefined) {
    throw new TrainSetupError(
      `upscaler.prompt_embeds: ${source.pretrained} holds no prompt embeddings (no "prompt_embeddings" in its ${MODEL_INDEX_NAME}): ` +
        'give a .safetensors file with prompt_embeds (and negative_prompt_embeds for guidance); the "Bring Stable Diffusion weights" guide shows how to make it with diffusers.',
    );
  }
  if (run.noise_level > index.max_noise_level) {
    throw new TrainSetupError(`upscaler.noise_level: ${run.noise_level} is above the folder's max_noise_level ${index.max_noise_level}; use at most ${index.max_noise_level}.`);
  }
  const loaded = await loadUpscaler(source.pretrained, { promptEmbeds: run.prompt_embeds, variant: source.variant, schedule: run.schedule });
  try {
    const { folder, sampling } = loaded;
    if (!(folder.vae instanceof AutoencoderKL || folder.vae instanceof AutoencoderTiny)) {
      throw new TrainSetupError(`models.upscaler: its VAE is a ${folder.vae.constructor.name}; decoder fine-tuning trains an AutoencoderKL or AutoencoderTiny.`);
    }
    if (config.scale !== folder.scale) {
      throw new TrainSetupError(`scale: the upscaler enlarges x${folder.scale} (its VAE's factor), not x${config.scale}; set "scale": ${folder.scale}.`);
    }
    const lrSide = config.data.crop_size / config.scale;
    if (lrSide % folder.latentMultiple !== 0) {
      const unit = config.scale * folder.latentMultiple;
      throw new TrainSetupError(
        `data.crop_size ${config.data.crop_size} gives ${lrSide}x${lrSide} low-res inputs, but the upscaler's U-Net needs sides divisible by ${folder.latentMultiple}: ` +
          `use a multiple of ${unit} (e.g. ${Math.max(unit, Math.round(config.data.crop_size / unit) * unit)}).`,
      );
    }
    const guidanceScale = run.guidance_scale ?? defaultGuidanceScale(folder.promptEmbeddings);
    if (guidanceScale > 1 && folder.promptEmbeddings?.negativePromptEmbeds === undefined) {
      throw new TrainSetupError(
        `upscaler.guidance_scale: ${guidanceScale} needs negative_prompt_embeds in the prompt embeddings (classifier-free guidance); add them to the file, or set guidance_scale to 1.`,
      );
    }
    (folder.unet as Partial<Module>).freeze?.();
    (folder.unet as Partial<Module>).eval?.();
    const latentRun = { steps: run.steps, guidanceScale, noiseLevel: run.noise_level };
    return {
      codec: folder.vae as TrainableCodec,
      oneStepLatent: upscalerOneStepLatent(sampling, latentRun),
      upscale: {
        models: [folder.vae, folder.unet],
        run: (lr, seed) => sampling.run(lr, { ...latentRun, seed, tile: false }),
      },
      save: (dir) => folder.savePretrained(dir),
      dispose: () => loaded.dispose(),
    };
  } catch (error) {
    loaded.dispose();
    throw error;
  }
}
