import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, ModelImage, ModelLocation, NoiseScheduler, RawImage } from '@yonos/core';
import { asDenoiser, asLatentCodec, asScheduler, checkImage, checkImageRange, checkPositiveInteger } from '../pipeline/checks.js';
import { disposeComponent } from '../pipeline/dispose-component.js';
import { PipelineInputError } from '../pipeline/errors.js';
import { tilesFromBudget } from '../pipeline/memory.js';
import { upscaleImageKinds } from '../pipeline/image-kinds.js';
import { runGeometry } from '../pipeline/run-geometry.js';
import type { RunGeometry } from '../pipeline/run-geometry.js';
import { RunQueue } from '../pipeline/run-queue.js';
import { checkGuidanceScale, checkNoiseLevel, checkUpscaleComponents, LOW_RES_CHANNELS } from './checks.js';
import { x4UpscalerLowResScheduler, x4UpscalerScheduler } from './default-schedulers.js';
import { UpscaleMemoryError } from './errors.js';
import { DEFAULT_MAX_NOISE_LEVEL } from './model-index.js';
import type {
  StableDiffusionUpscaleFromPretrainedOptions,
  StableDiffusionUpscalePipelineComponents,
  StableDiffusionUpscaleRunOptions,
  StableDiffusionUpscaleSavePretrainedOptions,
} from './options.js';
import { checkPromptEmbeddings, disposePromptEmbeddings, isPromptEmbeddings, keepPromptEmbeddings, readPromptEmbeddings } from './prompt-embeddings.js';
import type { PromptEmbeddings } from './prompt-embeddings.js';
import { schedulerWithSpacing } from './run-scheduler.js';
import { chooseUpscaleTiling } from './tiling.js';
import type { UpscaleTileOptions, UpscaleTiling } from './tiling.js';
import { loadUpscaleFolder, saveUpscaleFolder } from './upscale-folder.js';
import { decodeUpscale, denoiseUpscale } from './upscale-run.js';
import type { UpscaleRunArgs } from './upscale-run.js';

/** diffusers' defaults of `StableDiffusionUpscalePipeline.__call__`. */
const DEFAULT_STEPS = 75;
const DEFAULT_GUIDANCE_SCALE = 9;
const DEFAULT_NOISE_LEVEL = 20;
/** CLIP's sequence length, for estimates made before any embeddings are known. */
const DEFAULT_CONTEXT_LENGTH = 77;

/**
 * Stable Diffusion's x4 upscaler (diffusers' `StableDiffusionUpscalePipeline`), composed from
 * the contracts of `@yonos/core`, with prompt embeddings given instead of a text encoder:
 *
 * 1. The low-res image (NHWC, `[-1, 1]`, padded by mirroring to a multiple of `latentMultiple`)
 *    is noised by the low-res scheduler at `noiseLevel`: `addNoise(image, noise, [noiseLevel])`.
 * 2. `z_T` is seeded standard-normal noise at the low-res size (or the caller's `latents`).
 * 3. At each timestep the U-Net sees `concat(z_t, noised image)` on channels, the noise level
 *    as its class label and the prompt embeddings as context; with `guidanceScale > 1` it runs
 *    on `[uncond, text]` and the halves are combined as `uncond + g * (text - uncond)`; then
 *    the scheduler (DDIM) steps.
 * 4. `decode(z_0 / scalingFactor + shiftFactor)` (the VAE enlarges 4 times) is cropped to
 *    4 times the input and clamped to `[-1, 1]`.
 *
 * Matches diffusers 0.25 to float32 rounding on cpu, wasm and webgpu (tested on a tiny
 * checkpoint with every random tensor replayed). Differences: sides that are not multiples of
 * `latentMultiple` are padded and the output cropped (diffusers floors them to a multiple of 4
 * and leaves the rest to the U-Net's resizing); runs tile where the memory budget requires it;
 * with a batch of images and one prompt each image gets the prompt (diffusers 0.25 pairs them
 * crosswise when it also makes several images per prompt).
 *
 * Runs on one pipeline are serialized (the scheduler's timesteps are shared state).
 *
 * @example
 * ```ts
 * import '@yonos/vae';
 * import '@yonos/unet';
 * const pipe = await StableDiffusionUpscalePipeline.fromPretrained('models/stable-diffusion-x4-upscaler', {
 *   promptEmbeddings: 'models/prompt-embeds.safetensors',
 * });
 * const out = await pipe.upscale(rawImage, { steps: 20, seed: 1 }); // RawImage in, 4x RawImage out
 * // One step from t = T - 1, as YONOS samples:
 * const fast = await pipe.upscale(rawImage, { steps: 1, timestepSpacing: 'trailing', guidanceScale: 1 });
 * ```
 */
export class StableDiffusionUpscalePipeline {
  /** Decodes latents to images; `downsampleFactor` is the upscaling factor. Owned by the pipeline. */
  readonly vae: LatentCodec;
  /** The class-conditioned denoiser. Owned by the pipeline. */
  readonly unet: Denoiser;
  /** The denoising scheduler (DDIM for the x4 upscaler). */
  readonly scheduler: NoiseScheduler;
  /** The scheduler that noises the low-res image (DDPM for the x4 upscaler). */
  readonly lowResScheduler: NoiseScheduler;
  /** The largest noise level a run may ask for. */
  readonly maxNoiseLevel: number;
  /** Latent (= low-res) sides are padded to multiples of this. */
  readonly latentMultiple: number;
  #embeddings: PromptEmbeddings | undefined;
  readonly #queue = new RunQueue();

  /**
   * @param components The models; the pipeline takes them over ({@link StableDiffusionUpscalePipeline.dispose} disposes them).
   * @throws PipelineInputError if the components do not fit together.
   */
  constructor(components: StableDiffusionUpscalePipelineComponents) {
    this.vae = asLatentCodec(components.vae, 'vae');
    this.unet = asDenoiser(components.unet, 'unet');
    this.scheduler = asScheduler(components.scheduler ?? x4UpscalerScheduler(), 'scheduler');
    this.lowResScheduler = asScheduler(components.lowResScheduler ?? x4UpscalerLowResScheduler(), 'lowResScheduler');
    if (typeof this.lowResScheduler.addNoise !== 'function') {
      throw new PipelineInputError('lowResScheduler has no addNoise(); the low-res image is noised with it (a DDPMScheduler).');
    }
    this.maxNoiseLevel = components.maxNoiseLevel ?? DEFAULT_MAX_NOISE_LEVEL;
    checkUpscaleComponents(this.vae, this.unet, this.lowResScheduler, this.maxNoiseLevel);
    this.latentMultiple = components.latentMultiple ?? this.unet.downsampleFactor;
    checkPositiveInteger(this.latentMultiple, 'latentMultiple');
    if (components.promptEmbeddings !== undefined) {
      const given = components.promptEmbeddings;
      checkPromptEmbeddings(given, this.unet.crossAttentionDim!, given.promptEmbeds.shape[0], false);
      this.#embeddings = keepPromptEmbeddings(given);
    }
  }

  /**
   * Loads a diffusers `StableDiffusionUpscalePipeline` folder: `model_index.json`
   * (`_class_name: "StableDiffusionUpscalePipeline"`, `max_noise_level`) and the `unet/`, `vae/`,
   * `scheduler/` and `low_res_scheduler/` subfolders. `text_encoder/` and `tokenizer/` (or
   * `[null, null]` entries) are never read: give prompt embeddings instead. Classes are found
   * through the registry of `@yonos/core`: import `@yonos/unet` and `@yonos/vae` first (diffusers'
   * folders name them `["diffusers", ...]`, which is never imported by name).
   * @param location A directory (Node), a URL (e.g. `https://huggingface.co/<repo>/resolve/main/`), or a `ModelStore`.
   * @throws UnknownPretrainedClassError for a class nobody provides; PretrainedError for missing or bad files
   *   or another pipeline class; PipelineInputError if the components do not fit together.
   */
  static async fromPretrained(location: ModelLocation, options: StableDiffusionUpscaleFromPretrainedOptions = {}): Promise<StableDiffusionUpscalePipeline> {
    return loadUpscaleFolder(location, options, (components) => new StableDiffusionUpscalePipeline(components));
  }

  /**
   * Saves the pipeline as a folder {@link StableDiffusionUpscalePipeline.fromPretrained} and
   * diffusers read: each component in its subfolder (classes diffusers has are named
   * `["diffusers", ...]`), the text encoder, tokenizer, safety checker, feature extractor and
   * watermarker as `[null, null]`, the pipeline's prompt embeddings (if any) in
   * `prompt_embeds.safetensors`, and `model_index.json` last.
   * @param location A directory (Node) or a `WritableModelStore`.
   * @param options `dtype: 'F16'` stores the weights as float16.
   * @throws PretrainedError if a component's class is not registered or cannot be saved.
   */
  async savePretrained(location: ModelLocation, options: StableDiffusionUpscaleSavePretrainedOptions = {}): Promise<void> {
    const { vae, unet, scheduler, lowResScheduler, maxNoiseLevel } = this;
    await saveUpscaleFolder(location, { vae, unet, scheduler, lowResScheduler, maxNoiseLevel, promptEmbeddings: this.#embeddings }, options);
  }

  /** The prompt embeddings runs use when they give none, or `undefined`. Owned by the pipeline. */
  get promptEmbeddings(): PromptEmbeddings | undefined {
    return this.#embeddings;
  }

  /** The upscaling factor: the VAE's `downsampleFactor` (4 for the x4 upscaler). */
  get scale(): number {
    return this.vae.downsampleFactor;
  }

  /** @deprecated Renamed {@link StableDiffusionUpscalePipeline.scale}, as `YonosPipeline`'s. */
  get scaleFactor(): number {
    return this.scale;
  }

  /**
   * The shape of `z_T` ({@link StableDiffusionUpscaleRunOptions.latents}) for a low-res image of `height x width`.
   * @returns `[batch, H', W', latentChannels]`, H' and W' the sides padded to multiples of {@link latentMultiple}.
   */
  latentShape(height: number, width: number, options: { readonly batch?: number } = {}): [number, number, number, number] {
    const g = this.#geometry(height, width);
    return [options.batch ?? 1, g.latentHeight, g.latentWidth, this.vae.latentChannels];
  }

  /** The shape of the low-res noise ({@link StableDiffusionUpscaleRunOptions.lowResNoise}): `[batch, H', W', 3]`. */
  lowResNoiseShape(height: number, width: number, options: { readonly batch?: number } = {}): [number, number, number, number] {
    const g = this.#geometry(height, width);
    return [options.batch ?? 1, g.latentHeight, g.latentWidth, LOW_RES_CHANNELS];
  }

  /**
   * The tiling a run on a low-res image of `height x width` would use, with its estimated peak
   * memory, on the active backend (see {@link UpscaleTileOptions.memoryBudgetMB}).
   * @param options `batch`, `guidanceScale`, `tile` and the prompt's token count (`contextLength`, default the pipeline's embeddings' or 77) as the run will have them.
   * @throws PipelineInputError for tile sizes that are not multiples of the models' factors.
   */
  tiling(
    height: number,
    width: number,
    options: { readonly batch?: number; readonly guidanceScale?: number; readonly tile?: boolean | UpscaleTileOptions; readonly contextLength?: number } = {},
  ): UpscaleTiling {
    const contextLength = options.contextLength ?? this.#embeddings?.promptEmbeds.shape[1] ?? DEFAULT_CONTEXT_LENGTH;
    return this.#tiling(height, width, options.batch ?? 1, (options.guidanceScale ?? DEFAULT_GUIDANCE_SCALE) > 1, contextLength, options.tile);
  }

  /**
   * Upscales a batch of low-res images 4 times (the VAE's factor).
   * @param lr NHWC `[N, H, W, 3]`, float32 in `[-1, 1]`. Not disposed.
   * @returns NHWC `[N, 4H, 4W, 3]`, float32 in `[-1, 1]`; caller owns it.
   * @throws PipelineInputError for bad inputs or options (values outside `[-1, 1]`, a noise level
   *   above `maxNoiseLevel`, missing or mis-shaped prompt embeddings, negative ones missing with
   *   guidance); PipelineMemoryError (an UpscaleMemoryError) when budget-chosen tiles cannot
   *   meet the budget; PipelineAbortedError when aborted.
   */
  run(lr: tf.Tensor4D, options: StableDiffusionUpscaleRunOptions = {}): Promise<tf.Tensor4D> {
    return this.#queue.run(async () => {
      const { z0, run } = await this.#denoise(lr, options, 'StableDiffusionUpscalePipeline.run');
      return decodeUpscale(run, z0);
    });
  }

  /**
   * Runs everything but the decode and returns the final latents (diffusers' `output_type="latent"`),
   * for example to fine-tune the VAE decoder on them. Same options and errors as {@link run}
   * (progress reports only the `'denoise'` stage).
   * @param lr NHWC `[N, H, W, 3]`, float32 in `[-1, 1]`. Not disposed.
   * @returns `z_0` at the diffusion scale (not divided by `scalingFactor`), NHWC `[N, H', W', C]`
   *   ({@link latentShape}: the padded low-res size); caller owns it.
   */
  denoise(lr: tf.Tensor4D, options: StableDiffusionUpscaleRunOptions = {}): Promise<tf.Tensor4D> {
    return this.#queue.run(async () => (await this.#denoise(lr, options, 'StableDiffusionUpscalePipeline.denoise')).z0);
  }

  /**
   * Upscales an image of any kind and returns the same kind (as `YonosPipeline.upscale`):
   * `RawImage` -> `RawImage`, `ModelImage` -> `ModelImage`, an NHWC tensor with 1 to 4 channels
   * in `[-1, 1]` -> the same channels. Alpha is enlarged with the MATLAB bicubic. Inputs are not disposed.
   */
  upscale(image: RawImage, options?: StableDiffusionUpscaleRunOptions): Promise<RawImage>;
  upscale(image: ModelImage, options?: StableDiffusionUpscaleRunOptions): Promise<ModelImage>;
  upscale(image: tf.Tensor4D, options?: StableDiffusionUpscaleRunOptions): Promise<tf.Tensor4D>;
  upscale(image: RawImage | ModelImage | tf.Tensor4D, options: StableDiffusionUpscaleRunOptions = {}): Promise<RawImage | ModelImage | tf.Tensor4D> {
    return upscaleImageKinds(image, this.scale, (rgb) => this.run(rgb, options));
  }

  /** Frees the pipeline's prompt embeddings and, unless `components: false`, every component that has a `dispose()` method. */
  dispose(options: { readonly components?: boolean } = {}): void {
    disposePromptEmbeddings(this.#embeddings);
    this.#embeddings = undefined;
    if (options.components !== false) {
      for (const component of [this.vae, this.unet, this.scheduler, this.lowResScheduler]) disposeComponent(component);
    }
  }

  /**
   * Checks a run's input and options, resolves its prompt embeddings and plans its tiles, then
   * denoises (`denoiseUpscale`); embeddings read from a file for the run are disposed
   * before it returns. The caller owns `z0`.
   * @throws PipelineInputError for bad inputs or options; UpscaleMemoryError (a
   *   PipelineMemoryError) when budget-chosen tiles cannot meet the budget.
   */
  async #denoise(lr: tf.Tensor4D, options: StableDiffusionUpscaleRunOptions, where: string): Promise<{ z0: tf.Tensor4D; run: UpscaleRunArgs }> {
    checkImage(lr, 3, where);
    await checkImageRange(lr, where);
    const steps = options.steps ?? DEFAULT_STEPS;
    checkPositiveInteger(steps, 'steps');
    const guidanceScale = options.guidanceScale ?? DEFAULT_GUIDANCE_SCALE;
    checkGuidanceScale(guidanceScale);
    const guided = guidanceScale > 1;
    const noiseLevel = options.noiseLevel ?? DEFAULT_NOISE_LEVEL;
    checkNoiseLevel(noiseLevel, this.maxNoiseLevel);
    const [batch, height, width] = lr.shape;
    checkShape(options.latents, this.latentShape(height, width, { batch }), 'latents', `latentShape(${height}, ${width}, { batch: ${batch} })`);
    checkShape(options.lowResNoise, this.lowResNoiseShape(height, width, { batch }), 'lowResNoise', `lowResNoiseShape(${height}, ${width}, { batch: ${batch} })`);
    const scheduler = schedulerWithSpacing(this.scheduler, options.timestepSpacing);

    const source = options.promptEmbeddings ?? this.#embeddings;
    if (source === undefined) {
      throw new PipelineInputError(
        'no prompt embeddings: pass promptEmbeddings (tensors, or a .safetensors file with prompt_embeds and negative_prompt_embeds) ' +
          'to the run or to the pipeline; the "Bring Stable Diffusion weights" guide shows how to make the file with diffusers.',
      );
    }
    let owned: PromptEmbeddings | undefined;
    try {
      const embeddings = isPromptEmbeddings(source) ? source : (owned = await readPromptEmbeddings(source));
      checkPromptEmbeddings(embeddings, this.unet.crossAttentionDim!, batch, guided);
      const tiling = this.#tiling(height, width, batch, guided, embeddings.promptEmbeds.shape[1], options.tile);
      if (tilesFromBudget(options.tile) && tiling.estimatedPeakBytes > tiling.memoryBudgetBytes) throw new UpscaleMemoryError(tiling);
      const run: UpscaleRunArgs = {
        vae: this.vae,
        unet: this.unet,
        scheduler,
        lowResScheduler: this.lowResScheduler,
        lr,
        steps,
        noiseLevel,
        guidanceScale,
        embeddings,
        geometry: this.#geometry(height, width),
        tiling,
        latents: options.latents,
        lowResNoise: options.lowResNoise,
        seed: options.seed ?? 0,
        onProgress: options.onProgress,
        onStepEnd: options.onStepEnd,
        signal: options.signal,
      };
      return { z0: await denoiseUpscale(run), run };
    } finally {
      disposePromptEmbeddings(owned);
    }
  }

  /** The sizes of a run on a `height x width` image: the latent is the image padded to `latentMultiple`, the output `scale` times the image. */
  #geometry(height: number, width: number): RunGeometry {
    // The VAE enlarges by its factor: a YONOS run's geometry at that scale.
    return runGeometry(height, width, this.scale, this.vae.downsampleFactor, this.latentMultiple);
  }

  #tiling(height: number, width: number, batch: number, guided: boolean, contextLength: number, tile: boolean | UpscaleTileOptions | undefined): UpscaleTiling {
    checkPositiveInteger(batch, 'batch');
    const g = this.#geometry(height, width);
    const input = { unet: this.unet, vae: this.vae, batch, guided, contextLength, latent: [g.latentHeight, g.latentWidth] as const, backend: tf.getBackend() };
    return chooseUpscaleTiling(input, this.latentMultiple, tile);
  }
}

function checkShape(tensor: tf.Tensor | undefined, expected: readonly number[], name: string, call: string): void {
  if (tensor !== undefined && (tensor.shape.join() !== expected.join() || tensor.dtype !== 'float32')) {
    throw new PipelineInputError(`${name} must be float32 [${expected.join(', ')}] (pipeline.${call}); got ${tensor.dtype} [${tensor.shape.join(', ')}].`);
  }
}
