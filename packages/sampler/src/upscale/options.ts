import type * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, NoiseScheduler, ProgressCallback, ResolvePretrainedClassOptions } from '@yonos/core';
import type { DenoiseStepEvent } from '../pipeline/denoise.js';
import type { TimestepSpacing } from '../schedulers/index.js';
import type { PromptEmbeddings, PromptEmbeddingsSource } from './prompt-embeddings.js';
import type { UpscaleTileOptions } from './tiling.js';

/** The parts a `StableDiffusionUpscalePipeline` is composed of, as diffusers' pipeline of the same name. */
export interface StableDiffusionUpscalePipelineComponents {
  /**
   * Decodes latents to images (`AutoencoderKL` of `@yonos/vae`, or your own); the output is
   * `downsampleFactor` times the latent (4 for the x4 upscaler's 3-level VAE). Only its decoder
   * is used: the low-res image enters the U-Net as pixels.
   */
  readonly vae: LatentCodec;
  /**
   * The class-conditioned denoiser (`UNet2DConditionModel` of `@yonos/unet`): takes
   * `concat(z_t, noised low-res image)`, so `inChannels = vae.latentChannels + 3`, returns one
   * latent, has cross-attention, and takes the noise level as its class label
   * (`classConditioning`).
   */
  readonly unet: Denoiser;
  /** The denoising scheduler. Default: the x4 upscaler's DDIM (v-prediction, scaled-linear 0.0001..0.02, leading spacing, `steps_offset` 1). */
  readonly scheduler?: NoiseScheduler;
  /** The scheduler whose `addNoise` noises the low-res image. Default: the x4 upscaler's DDPM (same betas). */
  readonly lowResScheduler?: NoiseScheduler;
  /** The largest noise level a run may ask for. Default 350 (diffusers' and the checkpoint's). */
  readonly maxNoiseLevel?: number;
  /** Latent sides must be multiples of this. Default: the U-Net's `downsampleFactor`. */
  readonly latentMultiple?: number;
  /** Prompt embeddings runs use when they give none; the pipeline keeps its own copies. */
  readonly promptEmbeddings?: PromptEmbeddings;
}

/** Options of `StableDiffusionUpscalePipeline.run` (diffusers' `__call__` arguments, camel-cased). */
export interface StableDiffusionUpscaleRunOptions {
  /**
   * The text conditioning: tensors (not disposed) or a `.safetensors` file with `prompt_embeds`
   * and `negative_prompt_embeds`. Default: the pipeline's (from its components or folder).
   */
  readonly promptEmbeddings?: PromptEmbeddingsSource | undefined;
  /** Classifier-free guidance weight; above 1 the U-Net runs on `[uncond, text]` (twice the batch). Default 9 (diffusers'). */
  readonly guidanceScale?: number;
  /** Denoising steps (`num_inference_steps`). Default 75 (diffusers'). */
  readonly steps?: number;
  /** How much noise the low-res image gets, an integer in `[0, maxNoiseLevel]`; also the U-Net's class label. Default 20 (diffusers'). */
  readonly noiseLevel?: number;
  /**
   * Overrides the scheduler's `timestep_spacing` for this run. The x4 upscaler's own is
   * `'leading'` with `steps_offset` 1, so one step denoises at t = 1 only; `'trailing'` makes
   * one step start at t = T - 1 (pure noise), as YONOS does. Needs a scheduler with a diffusers
   * `config` and a static `fromConfig` (as `DDIMScheduler`).
   */
  readonly timestepSpacing?: TimestepSpacing;
  /** Seed of the low-res noise and the initial latents (independent streams); the same seed gives the same output on every backend. Default 0. */
  readonly seed?: number | bigint | string;
  /** The low-res image's noise instead of seeded noise: `[N, H', W', 3]`, H' and W' the padded low-res size (`lowResNoiseShape`). Not disposed. */
  readonly lowResNoise?: tf.Tensor4D;
  /** `z_T` instead of seeded noise: `[N, H', W', C]` (`latentShape`), already multiplied by `initNoiseSigma`. Not disposed. */
  readonly latents?: tf.Tensor4D;
  /** `false`: never tile. Otherwise tile where the memory budget requires it, or at the sizes given. Default `{}`. */
  readonly tile?: boolean | UpscaleTileOptions;
  /** Progress: stage `'denoise'` once per step and U-Net tile, `'decode'` once per VAE tile. */
  readonly onProgress?: ProgressCallback;
  /** Called after each step with the latents (diffusers' `callback_on_step_end`); valid only during the call. */
  readonly onStepEnd?: (event: DenoiseStepEvent) => void;
  /** Cancels the run between tiles and steps with `PipelineAbortedError`; nothing leaks. */
  readonly signal?: AbortSignal;
}

/** Options of `StableDiffusionUpscalePipeline.fromPretrained`. */
export interface StableDiffusionUpscaleFromPretrainedOptions extends ResolvePretrainedClassOptions {
  /** Weights variant of the model components (`'fp16'`: `diffusion_pytorch_model.fp16.safetensors`). */
  readonly variant?: string;
  /** Components to use instead of loading them (the folder's entry for them is ignored). */
  readonly components?: Partial<Pick<StableDiffusionUpscalePipelineComponents, 'vae' | 'unet' | 'scheduler' | 'lowResScheduler'>>;
  /**
   * Default prompt embeddings of the pipeline: tensors (copied) or a `.safetensors` file. Default:
   * the folder's `prompt_embeddings` file if `model_index.json` names one; else runs must give them.
   */
  readonly promptEmbeddings?: PromptEmbeddingsSource;
}

/** Options of `StableDiffusionUpscalePipeline.savePretrained`. */
export interface StableDiffusionUpscaleSavePretrainedOptions {
  /** Float type of the stored weights: `'F32'` (default) or `'F16'`. */
  readonly dtype?: 'F32' | 'F16';
}

/** @deprecated Renamed {@link StableDiffusionUpscalePipelineComponents}, as `YonosPipelineComponents`. */
export type StableDiffusionUpscaleComponents = StableDiffusionUpscalePipelineComponents;

/** @deprecated Renamed {@link StableDiffusionUpscaleSavePretrainedOptions}, as `YonosSavePretrainedOptions`. */
export type StableDiffusionUpscaleSaveOptions = StableDiffusionUpscaleSavePretrainedOptions;
