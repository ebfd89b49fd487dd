import * as tf from '@tensorflow/tfjs-core';
import { DIFFUSERS_VERSION, createRng, openModelStore, openWritableModelStore } from '@yonos/core';
import type { Denoiser, LatentCodec, ModelImage, ModelLocation, NoiseScheduler, RawImage } from '@yonos/core';
import { asDenoiser, asLatentCodec, asScheduler, checkImage, checkImageRange, checkPositiveInteger } from '../pipeline/checks.js';
import { loadComponent, saveComponent } from '../pipeline/components.js';
import type { ComponentSpec } from '../pipeline/model-index.js';
import { MODEL_INDEX_NAME } from '../pipeline/model-index.js';
import { checkpoint, report, throwIfAborted } from '../pipeline/control.js';
import { denoiseLatents } from '../pipeline/denoise.js';
import { disposeComponent } from '../pipeline/dispose-component.js';
import { PipelineInputError } from '../pipeline/errors.js';
import { tilesFromBudget } from '../pipeline/memory.js';
import { upscaleImageKinds } from '../pipeline/image-kinds.js';
import { cropTopLeft, padBottomRight, roundUpTo } from '../pipeline/padding.js';
import { TiledLatentCodec } from '../pipeline/tiled-codec.js';
import type { TileLoopHooks } from '../pipeline/tile-blend.js';
import { planTiles } from '../pipeline/tile-plan.js';
import { DDIMScheduler } from '../schedulers/index.js';
import type { TimestepSpacing } from '../schedulers/index.js';
import { checkGuidanceScale, checkNoiseLevel, checkUpscaleComponents, LOW_RES_CHANNELS } from './checks.js';
import { x4UpscalerLowResScheduler, x4UpscalerScheduler } from './default-schedulers.js';
import { UpscaleMemoryError } from './errors.js';
import { guidedUpscalePredictor } from './guidance.js';
import { DEFAULT_MAX_NOISE_LEVEL, UPSCALE_PIPELINE_CLASS, UPSCALE_PIPELINE_COMPONENTS, parseUpscaleModelIndex, upscaleModelIndexJson } from './model-index.js';
import type { UpscaleComponentName, UpscaleModelIndex } from './model-index.js';
import type {
  StableDiffusionUpscaleComponents,
  StableDiffusionUpscaleFromPretrainedOptions,
  StableDiffusionUpscaleRunOptions,
  StableDiffusionUpscaleSaveOptions,
} from './options.js';
import {
  checkPromptEmbeddings,
  disposePromptEmbeddings,
  guidanceContext,
  isPromptEmbeddings,
  keepPromptEmbeddings,
  readPromptEmbeddings,
  readPromptEmbeddingsFrom,
  writePromptEmbeddings,
} from './prompt-embeddings.js';
import type { PromptEmbeddings, PromptEmbeddingsSource } from './prompt-embeddings.js';
import { chooseUpscaleTiling } from './tiling.js';
import type { UpscaleTileOptions, UpscaleTiling } from './tiling.js';

/** diffusers' defaults of `StableDiffusionUpscalePipeline.__call__`. */
const DEFAULT_STEPS = 75;
const DEFAULT_GUIDANCE_SCALE = 9;
const DEFAULT_NOISE_LEVEL = 20;
/** CLIP's sequence length, for estimates made before any embeddings are known. */
const DEFAULT_CONTEXT_LENGTH = 77;
/** Where `savePretrained` stores the pipeline's prompt embeddings. */
const PROMPT_EMBEDDINGS_FILE = 'prompt_embeds.safetensors';
/** Classes diffusers provides under the same name: folders name them `["diffusers", ...]` so diffusers loads them too. */
const DIFFUSERS_CLASSES = new Set(['DDIMScheduler', 'DDPMScheduler', 'UNet2DConditionModel', 'AutoencoderKL']);

const COMPONENT_KEYS: Record<UpscaleComponentName, 'scheduler' | 'lowResScheduler' | 'unet' | 'vae'> = {
  scheduler: 'scheduler',
  low_res_scheduler: 'lowResScheduler',
  unet: 'unet',
  vae: 'vae',
};

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
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param components The models; the pipeline takes them over ({@link StableDiffusionUpscalePipeline.dispose} disposes them).
   * @throws PipelineInputError if the components do not fit together.
   */
  constructor(components: StableDiffusionUpscaleComponents) {
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
    const store = await openModelStore(location);
    const index = parseUpscaleModelIndex(await store.readText(MODEL_INDEX_NAME), store.location);
    const loaded: unknown[] = [];
    const parts: Partial<Record<'scheduler' | 'lowResScheduler' | 'unet' | 'vae', unknown>> = {};
    let owned: PromptEmbeddings | undefined;
    try {
      for (const name of UPSCALE_PIPELINE_COMPONENTS) {
        const key = COMPONENT_KEYS[name];
        const given = options.components?.[key];
        if (given !== undefined) {
          parts[key] = given;
          continue;
        }
        const component = await loadComponent(store, name, index[name], options);
        loaded.push(component);
        parts[key] = component;
      }
      let embeddings: PromptEmbeddings | undefined;
      if (options.promptEmbeddings !== undefined) {
        embeddings = isPromptEmbeddings(options.promptEmbeddings) ? options.promptEmbeddings : (owned = await readPromptEmbeddings(options.promptEmbeddings));
      } else if (index.prompt_embeddings !== undefined) {
        embeddings = owned = await readPromptEmbeddingsFrom(store, index.prompt_embeddings);
      }
      return new StableDiffusionUpscalePipeline({
        vae: parts.vae as LatentCodec,
        unet: parts.unet as Denoiser,
        scheduler: parts.scheduler as NoiseScheduler,
        lowResScheduler: parts.lowResScheduler as NoiseScheduler,
        maxNoiseLevel: index.max_noise_level,
        ...(embeddings !== undefined ? { promptEmbeddings: embeddings } : {}),
      });
    } catch (error) {
      for (const component of loaded) disposeComponent(component);
      throw error;
    } finally {
      disposePromptEmbeddings(owned);
    }
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
  async savePretrained(location: ModelLocation, options: StableDiffusionUpscaleSaveOptions = {}): Promise<void> {
    const store = await openWritableModelStore(location);
    const weights = options.dtype !== undefined ? { dtype: options.dtype } : {};
    const spec = (entry: ComponentSpec): ComponentSpec => (DIFFUSERS_CLASSES.has(entry[1]) ? ['diffusers', entry[1]] : entry);
    const specs = {
      scheduler: spec(await saveComponent(store, 'scheduler', this.scheduler)),
      low_res_scheduler: spec(await saveComponent(store, 'low_res_scheduler', this.lowResScheduler)),
      unet: spec(await saveComponent(store, 'unet', this.unet, weights)),
      vae: spec(await saveComponent(store, 'vae', this.vae, weights)),
    };
    if (this.#embeddings !== undefined) await writePromptEmbeddings(store, PROMPT_EMBEDDINGS_FILE, this.#embeddings);
    const index: UpscaleModelIndex = {
      _class_name: UPSCALE_PIPELINE_CLASS,
      _diffusers_version: DIFFUSERS_VERSION,
      max_noise_level: this.maxNoiseLevel,
      ...specs,
      ...(this.#embeddings !== undefined ? { prompt_embeddings: PROMPT_EMBEDDINGS_FILE } : {}),
    };
    await store.writeText(MODEL_INDEX_NAME, upscaleModelIndexJson(index));
  }

  /** The prompt embeddings runs use when they give none, or `undefined`. Owned by the pipeline. */
  get promptEmbeddings(): PromptEmbeddings | undefined {
    return this.#embeddings;
  }

  /** The upscaling factor: the VAE's `downsampleFactor` (4 for the x4 upscaler). */
  get scaleFactor(): number {
    return this.vae.downsampleFactor;
  }

  /**
   * The shape of `z_T` ({@link StableDiffusionUpscaleRunOptions.latents}) for a low-res image of `height x width`.
   * @returns `[batch, H', W', latentChannels]`, H' and W' the sides padded to multiples of {@link latentMultiple}.
   */
  latentShape(height: number, width: number, options: { readonly batch?: number } = {}): [number, number, number, number] {
    const [h, w] = this.#padded(height, width);
    return [options.batch ?? 1, h, w, this.vae.latentChannels];
  }

  /** The shape of the low-res noise ({@link StableDiffusionUpscaleRunOptions.lowResNoise}): `[batch, H', W', 3]`. */
  lowResNoiseShape(height: number, width: number, options: { readonly batch?: number } = {}): [number, number, number, number] {
    const [h, w] = this.#padded(height, width);
    return [options.batch ?? 1, h, w, LOW_RES_CHANNELS];
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
   *   guidance); UpscaleMemoryError when budget-chosen tiles cannot meet the budget;
   *   PipelineAbortedError when aborted.
   */
  run(lr: tf.Tensor4D, options: StableDiffusionUpscaleRunOptions = {}): Promise<tf.Tensor4D> {
    const task = this.#queue.then(() => this.#run(lr, options));
    this.#queue = task.catch(() => undefined);
    return task;
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
    const task = this.#queue.then(async () => (await this.#denoise(lr, options, 'StableDiffusionUpscalePipeline.denoise')).latents);
    this.#queue = task.catch(() => undefined);
    return task;
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
    return upscaleImageKinds(image, this.scaleFactor, (rgb) => this.run(rgb, options));
  }

  /** Frees the pipeline's prompt embeddings and, unless `components: false`, every component that has a `dispose()` method. */
  dispose(options: { readonly components?: boolean } = {}): void {
    disposePromptEmbeddings(this.#embeddings);
    this.#embeddings = undefined;
    if (options.components !== false) {
      for (const component of [this.vae, this.unet, this.scheduler, this.lowResScheduler]) disposeComponent(component);
    }
  }

  async #run(lr: tf.Tensor4D, options: StableDiffusionUpscaleRunOptions): Promise<tf.Tensor4D> {
    const { latents: z0, tiling } = await this.#denoise(lr, options, 'StableDiffusionUpscalePipeline.run');
    const [, height, width] = lr.shape;
    const { onProgress, signal } = options;
    let latent: tf.Tensor4D | undefined;
    let decoded: tf.Tensor4D | undefined;
    try {
      latent = tf.tidy(() => tf.add(tf.div(z0, this.vae.scalingFactor), this.vae.shiftFactor) as tf.Tensor4D);
      z0.dispose();
      const codec = new TiledLatentCodec(this.vae, { tileSampleSize: tiling.vaeTileSize, overlap: tiling.vaeOverlap });
      const hooks: TileLoopHooks = {
        beforeTile: () => checkpoint(signal),
        afterTile: (r, total) => report(onProgress, { stage: 'decode', completed: r.index + 1, total }),
      };
      decoded = await codec.decodeAsync(latent, hooks);
      latent.dispose();
      const f = this.vae.downsampleFactor;
      if (decoded.shape[1] !== height * f || decoded.shape[2] !== width * f) {
        const cropped = cropTopLeft(decoded, height * f, width * f);
        decoded.dispose();
        decoded = cropped;
      }
      return tf.clipByValue(decoded, -1, 1);
    } finally {
      tf.dispose([z0, ...(latent !== undefined ? [latent] : []), ...(decoded !== undefined ? [decoded] : [])]);
    }
  }

  /** Everything up to the final latents: checks, noising, the denoising loop. The caller owns `latents`. */
  async #denoise(lr: tf.Tensor4D, options: StableDiffusionUpscaleRunOptions, where: string): Promise<{ latents: tf.Tensor4D; tiling: UpscaleTiling }> {
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
    const latentShape = this.latentShape(height, width, { batch });
    const noiseShape = this.lowResNoiseShape(height, width, { batch });
    checkShape(options.latents, latentShape, 'latents', `latentShape(${height}, ${width}, { batch: ${batch} })`);
    checkShape(options.lowResNoise, noiseShape, 'lowResNoise', `lowResNoiseShape(${height}, ${width}, { batch: ${batch} })`);
    const scheduler = this.#runScheduler(options.timestepSpacing);
    scheduler.setTimesteps(steps);

    let embeddings: PromptEmbeddings | undefined;
    let ownedEmbeddings: PromptEmbeddings | undefined;
    let image: tf.Tensor4D | undefined;
    let noise: tf.Tensor4D | undefined;
    let noised: tf.Tensor4D | undefined;
    let zT: tf.Tensor4D | undefined;
    let context: tf.Tensor3D | undefined;
    try {
      const source: PromptEmbeddingsSource | undefined = options.promptEmbeddings ?? this.#embeddings;
      if (source === undefined) {
        throw new PipelineInputError(
          'no prompt embeddings: pass promptEmbeddings (tensors, or a .safetensors file with prompt_embeds and negative_prompt_embeds) ' +
            'to the run or to the pipeline; the "Bring Stable Diffusion weights" guide shows how to make the file with diffusers.',
        );
      }
      embeddings = isPromptEmbeddings(source) ? source : (ownedEmbeddings = await readPromptEmbeddings(source));
      checkPromptEmbeddings(embeddings, this.unet.crossAttentionDim!, batch, guided);
      const tiling = this.#tiling(height, width, batch, guided, embeddings.promptEmbeds.shape[1], options.tile);
      if (tilesFromBudget(options.tile) && tiling.estimatedPeakBytes > tiling.memoryBudgetBytes) throw new UpscaleMemoryError(tiling);
      const { onProgress, signal } = options;
      throwIfAborted(signal);

      // diffusers draws the low-res noise, then the latents, from one generator; here each has
      // its own stream of the seed, so replacing one leaves the other as it was.
      const rng = createRng(options.seed ?? 0);
      image = padBottomRight(lr, latentShape[1], latentShape[2]);
      noise = options.lowResNoise ?? (rng.fork('low-res-noise').normal(noiseShape) as tf.Tensor4D);
      noised = this.lowResScheduler.addNoise(image, noise, [noiseLevel]) as tf.Tensor4D;
      tf.dispose([image, ...(options.lowResNoise === undefined ? [noise] : [])]);
      const sigma = scheduler.initNoiseSigma;
      zT =
        options.latents !== undefined
          ? tf.clone(options.latents)
          : (tf.tidy(() => tf.mul(rng.fork('latents').normal(latentShape), sigma)) as tf.Tensor4D);
      context = guidanceContext(embeddings, batch, guided);
      const start = zT;
      zT = undefined; // denoiseLatents takes it over
      const z0 = await denoiseLatents({
        unet: this.unet,
        scheduler,
        latents: start,
        consumeLatents: true,
        // DDIM's step (eta 0) is elementwise.
        stepByRows: scheduler instanceof DDIMScheduler,
        condition: noised,
        plan: planTiles({ height: latentShape[1], width: latentShape[2], tile: tiling.latentTileSize, overlap: tiling.latentOverlap }),
        predict: guidedUpscalePredictor({ unet: this.unet, context, noiseLevel, guidanceScale }),
        ...(options.onStepEnd !== undefined ? { onStepEnd: options.onStepEnd } : {}),
        ...(onProgress !== undefined ? { onProgress } : {}),
        ...(signal !== undefined ? { signal } : {}),
      });
      return { latents: z0, tiling };
    } finally {
      // Idempotent: tensors already freed on the way are skipped.
      const owned: Array<tf.Tensor | undefined> = [image, noised, zT, context];
      if (options.lowResNoise === undefined) owned.push(noise);
      tf.dispose(owned.filter((t): t is tf.Tensor => t !== undefined));
      disposePromptEmbeddings(ownedEmbeddings);
    }
  }

  /** The scheduler of a run: the pipeline's, or a copy with another timestep spacing. */
  #runScheduler(spacing: TimestepSpacing | undefined): NoiseScheduler {
    const s = this.scheduler as NoiseScheduler & { config?: { timestep_spacing?: unknown } };
    if (spacing === undefined || s.config?.timestep_spacing === spacing) return this.scheduler;
    const cls = s.constructor as { fromConfig?: (config: unknown) => NoiseScheduler };
    if (typeof s.config !== 'object' || typeof cls.fromConfig !== 'function') {
      throw new PipelineInputError(
        `timestepSpacing needs a scheduler with a diffusers config and a static fromConfig (as DDIMScheduler); ${s.constructor.name} has none.`,
      );
    }
    return cls.fromConfig({ ...s.config, timestep_spacing: spacing });
  }

  #padded(height: number, width: number): [number, number] {
    checkPositiveInteger(height, 'height');
    checkPositiveInteger(width, 'width');
    return [roundUpTo(height, this.latentMultiple), roundUpTo(width, this.latentMultiple)];
  }

  #tiling(height: number, width: number, batch: number, guided: boolean, contextLength: number, tile: boolean | UpscaleTileOptions | undefined): UpscaleTiling {
    checkPositiveInteger(batch, 'batch');
    const input = { unet: this.unet, vae: this.vae, batch, guided, contextLength, latent: this.#padded(height, width), backend: tf.getBackend() };
    return chooseUpscaleTiling(input, this.latentMultiple, tile);
  }
}

function checkShape(tensor: tf.Tensor | undefined, expected: readonly number[], name: string, call: string): void {
  if (tensor !== undefined && (tensor.shape.join() !== expected.join() || tensor.dtype !== 'float32')) {
    throw new PipelineInputError(`${name} must be float32 [${expected.join(', ')}] (pipeline.${call}); got ${tensor.dtype} [${tensor.shape.join(', ')}].`);
  }
}
