import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, ModelImage, ModelLocation, NoiseScheduler, RawImage } from '@yonos/core';
import {
  asDenoiser,
  asLatentCodec,
  asScheduler,
  checkCompatible,
  checkImage,
  checkImageRange,
  checkPositiveInteger,
} from './checks.js';
import { defaultYonosScheduler } from './default-scheduler.js';
import { disposeComponent } from './dispose-component.js';
import { PipelineInputError, PipelineMemoryError } from './errors.js';
import { tilesFromBudget } from './memory.js';
import { upscaleImageKinds } from './image-kinds.js';
import type {
  YonosFromPretrainedOptions,
  YonosPipelineComponents,
  YonosRunOptions,
  YonosSavePretrainedOptions,
  YonosTileOptions,
  YonosTiling,
} from './options.js';
import { loadYonosFolder, saveYonosFolder } from './pipeline-folder.js';
import { checkContext, contextLength } from './run-context.js';
import { runGeometry } from './run-geometry.js';
import type { RunGeometry } from './run-geometry.js';
import { RunQueue } from './run-queue.js';
import { DEFAULT_MODEL_SCALE, checkScale, requestedScale } from './scale.js';
import { chooseYonosTiling } from './yonos-tiling.js';
import { runYonos } from './yonos-run.js';

/** A run's geometry and tiling, and what they were computed for. */
interface RunPlan {
  readonly key: string;
  readonly geometry: RunGeometry;
  readonly tiling: YonosTiling;
}

/**
 * One-step diffusion super-resolution (YONOS-SR), composed from the contracts of
 * `@yonos/core`: any {@link LatentCodec}, any {@link Denoiser}, any {@link NoiseScheduler}.
 *
 * 1. The LR image (NHWC, `[-1, 1]`) is upsampled by `scale` with the MATLAB-compatible
 *    bicubic (`imresize` of `@yonos/core`), padded (mirrored) to a size the models accept,
 *    and encoded: `z_lr = scalingFactor * (encode(up).mean - shiftFactor)`.
 * 2. `z_T` is seeded standard-normal noise (or the caller's `latents`).
 * 3. At each timestep the denoiser sees `concat(z_t, z_lr)` on channels (with a null context
 *    when it has cross-attention), and `scheduler.step` moves on.
 *    With `residual` the diffusion runs on `z_0 - z_lr`, and `z_lr` is added back here.
 * 4. `decode(z_0 / scalingFactor + shiftFactor)` is cropped to `ceil(side * scale)` and clamped to `[-1, 1]`.
 *
 * Large images are tiled (overlapping, feathered U-Net tiles in latent space; diffusers-style
 * tiled VAE encode/decode) so that the run's tensor memory fits a budget (see
 * {@link YonosTileOptions.memoryBudgetMB}); images that fit are not tiled. Runs on one
 * pipeline are serialized (the scheduler's timesteps are shared state).
 *
 * @example
 * ```ts
 * import '@yonos/vae';
 * import '@yonos/unet';
 * const pipe = await YonosPipeline.fromPretrained('models/yonos-x4');
 * const out = await pipe.upscale(rawImage, { seed: 1 }); // RawImage in, RawImage out
 * ```
 */
export class YonosPipeline {
  /** The latent codec (VAE): images NHWC in `[-1, 1]` to latents and back. Owned by the pipeline. */
  readonly vae: LatentCodec;
  /** The denoiser that predicts from `concat(z_t, z_lr)`. Owned by the pipeline. */
  readonly unet: Denoiser;
  /** The noise scheduler that picks the timesteps and steps `z_t` towards `z_0`. */
  readonly scheduler: NoiseScheduler;
  /** The upscaling factor the model was trained for, the default of {@link YonosRunOptions.scale}. */
  readonly scale: number;
  /** Latent sides are padded to multiples of this for the denoiser. */
  readonly latentMultiple: number;
  /** Whether the denoiser works on `z_0 - z_lr` (see {@link YonosPipelineComponents.residual}). */
  readonly residual: boolean;
  #context: tf.Tensor3D | undefined;
  readonly #queue = new RunQueue();
  /** The last plan, so that a run after `tiling()` with the same arguments (a progress bar's count) does not plan again. */
  #lastPlan: RunPlan | undefined;

  /**
   * @param components The models; the pipeline takes them over ({@link YonosPipeline.dispose} disposes them).
   * @throws PipelineInputError if the components do not fit together.
   */
  constructor(components: YonosPipelineComponents) {
    this.vae = asLatentCodec(components.vae, 'vae');
    this.unet = asDenoiser(components.unet, 'unet');
    this.scheduler = asScheduler(components.scheduler ?? defaultYonosScheduler(), 'scheduler');
    checkCompatible(this.vae, this.unet);
    this.scale = checkScale(requestedScale(components) ?? DEFAULT_MODEL_SCALE);
    this.latentMultiple = components.latentMultiple ?? this.unet.downsampleFactor;
    checkPositiveInteger(this.latentMultiple, 'latentMultiple');
    this.residual = components.residual ?? false;
    if (components.context !== undefined) {
      checkContext(this.unet, components.context, 1);
      this.#context = tf.keep(tf.clone(components.context));
    }
  }

  /**
   * Loads a pipeline folder in diffusers' layout: `model_index.json` naming each component
   * `[library, className]`, and `scheduler/`, `unet/`, `vae/` subfolders. Classes are found
   * through the registry of `@yonos/core` (`registerPretrainedClass`): import `@yonos/vae` and
   * `@yonos/unet` first, or let Node import the named packages.
   *
   * Without a location, the default model is loaded: the folder the registered
   * `DefaultModelProvider` (see `registerDefaultModel`) has for `options.scale` (default: the provider's default
   * scale, 4). Importing `yonos` registers the model it bundles (x4 and x8).
   * @param location A directory (Node), a URL, or a `ModelStore`; omitted (or `undefined`) for the default model.
   * @throws UnknownPretrainedClassError for a class nobody provides; PretrainedError for missing or bad files.
   * @throws NoDefaultModelError without a location when no default model is registered;
   *   ScaleNotBundledError when it has no model for the requested scale.
   * @example
   * ```ts
   * import { YonosPipeline } from 'yonos'; // registers the bundled model
   * const x4 = await YonosPipeline.fromPretrained(); // the bundled x4 model
   * const x8 = await YonosPipeline.fromPretrained(undefined, { scale: 8 }); // the bundled x8 model
   * const mine = await YonosPipeline.fromPretrained('models/my-x4'); // any pipeline folder
   * ```
   */
  static async fromPretrained(location?: ModelLocation, options: YonosFromPretrainedOptions = {}): Promise<YonosPipeline> {
    return loadYonosFolder(location, options, (components) => new YonosPipeline(components));
  }

  /**
   * Saves the pipeline as a folder {@link YonosPipeline.fromPretrained} (and diffusers'
   * layout) reads: each component in its subfolder, a custom context in `context.safetensors`,
   * and `model_index.json` last, so a folder with an index is complete.
   * @param location A directory (Node) or a `WritableModelStore`.
   * @param options `dtype: 'F16'` stores the weights as float16 under the default file names
   *   (half the size, as diffusers writes a pipeline moved to float16); they load back as float32.
   * @throws PretrainedError if a component's class is not registered or cannot be saved.
   */
  async savePretrained(location: ModelLocation, options: YonosSavePretrainedOptions = {}): Promise<void> {
    const { vae, unet, scheduler, scale, latentMultiple, residual } = this;
    await saveYonosFolder(location, { vae, unet, scheduler, scale, latentMultiple, residual, context: this.#context }, options);
  }

  /** @deprecated Renamed {@link YonosPipeline.scale}. */
  get scaleFactor(): number {
    return this.scale;
  }

  /** The fixed cross-attention context given at construction, `[1 or N, L, D]`, or `undefined` (zeros are used). Owned by the pipeline. */
  get context(): tf.Tensor3D | undefined {
    return this.#context;
  }

  /**
   * The shape of `z_T` ({@link YonosRunOptions.latents}) for an LR image of `height x width`.
   * @returns `[batch, paddedH / f, paddedW / f, latentChannels]`.
   */
  latentShape(height: number, width: number, options: { readonly scale?: number; readonly batch?: number } = {}): [number, number, number, number] {
    const g = this.#geometry(height, width, this.#scaleOf(options));
    return [options.batch ?? 1, g.latentHeight, g.latentWidth, this.vae.latentChannels];
  }

  /**
   * The tiling a run on an LR image of `height x width` would use, and its estimated peak
   * memory (see `estimateRunMemory`): explicit tile sizes, or tiles chosen so that the
   * estimate fits the budget: none where the whole image fits; otherwise, of the U-Net and
   * VAE tile sizes that fit, those that compute the fewest pixels (overlaps counted), each
   * the smallest tile for its number of tiles. See {@link YonosTileOptions.memoryBudgetMB}
   * for what the budget counts. On the active backend (`tf.getBackend()`), as a run would.
   * @param options `scale`, `tile` and `batch` as the run will have them.
   * @throws PipelineInputError for tile sizes that are not multiples of the models' factors.
   */
  tiling(
    height: number,
    width: number,
    options: { readonly scale?: number; readonly tile?: boolean | YonosTileOptions; readonly batch?: number } = {},
  ): YonosTiling {
    const scale = this.#scaleOf(options);
    return this.#plan(height, width, scale, options.tile, options.batch ?? 1, contextLength(this.unet, this.#context)).tiling;
  }

  /** The geometry and tiling of a run (see {@link YonosPipeline.tiling}); the last one is kept for the next call with the same arguments. */
  #plan(height: number, width: number, scale: number, tile: boolean | YonosTileOptions | undefined, batch: number, tokens: number): RunPlan {
    const geometry = this.#geometry(height, width, scale);
    const key = JSON.stringify([height, width, scale, tile ?? null, batch, tokens, tf.getBackend()]);
    if (this.#lastPlan?.key === key) return this.#lastPlan;
    const tiling = chooseYonosTiling({
      codec: this.vae,
      denoiser: this.unet,
      scheduler: this.scheduler,
      latentMultiple: this.latentMultiple,
      input: [height, width],
      geometry,
      tile,
      batch,
      contextLength: tokens,
    });
    this.#lastPlan = { key, geometry, tiling };
    return this.#lastPlan;
  }

  /**
   * Super-resolves a batch of images.
   * @param lr NHWC `[N, H, W, 3]`, float32 in `[-1, 1]` (-1 black, 1 white; map 0-255 pixels with
   *   `x / 127.5 - 1`). Not disposed.
   * @returns NHWC `[N, ceil(H * scale), ceil(W * scale), 3]`, float32 in `[-1, 1]`; caller owns it.
   * @throws PipelineInputError for bad inputs or options (values outside `[-1, 1]`, NaN or
   *   infinity among them: the message gives the range found); PipelineMemoryError (a
   *   PipelineInputError) when tiles chosen from the memory budget cannot meet it;
   *   PipelineAbortedError when aborted.
   */
  run(lr: tf.Tensor4D, options: YonosRunOptions = {}): Promise<tf.Tensor4D> {
    return this.#queue.run(() => this.#run(lr, options));
  }

  /**
   * Super-resolves an image of any kind and returns the same kind:
   * - `RawImage` (integer pixels, 1-4 channels, 8 or 16 bits) -> `RawImage` with the same channels and depth;
   * - `ModelImage` (`rgb` in `[-1, 1]`, `alpha` in `[0, 1]`) -> `ModelImage` (gray stays gray: `rgb` holds the luma three times);
   * - NHWC tensor with 1 (gray), 2 (gray + alpha), 3 or 4 (RGBA) channels, all in `[-1, 1]` -> the same channels.
   * Alpha is upscaled separately with the same bicubic and clamped to its range. Inputs are not disposed.
   */
  upscale(image: RawImage, options?: YonosRunOptions): Promise<RawImage>;
  upscale(image: ModelImage, options?: YonosRunOptions): Promise<ModelImage>;
  upscale(image: tf.Tensor4D, options?: YonosRunOptions): Promise<tf.Tensor4D>;
  upscale(image: RawImage | ModelImage | tf.Tensor4D, options: YonosRunOptions = {}): Promise<RawImage | ModelImage | tf.Tensor4D> {
    // run() checks options.scale (rejecting the promise) before the alpha channel uses it.
    return upscaleImageKinds(image, options.scale ?? this.scale, (rgb) => this.run(rgb, options));
  }

  /**
   * Frees the pipeline's context and, unless `components: false`, every component that has
   * a `dispose()` method (the models).
   */
  dispose(options: { readonly components?: boolean } = {}): void {
    this.#context?.dispose();
    this.#context = undefined;
    if (options.components !== false) {
      for (const component of [this.vae, this.unet, this.scheduler]) disposeComponent(component);
    }
  }

  async #run(lr: tf.Tensor4D, options: YonosRunOptions): Promise<tf.Tensor4D> {
    checkImage(lr, 3, 'YonosPipeline.run');
    await checkImageRange(lr, 'YonosPipeline.run');
    const scale = this.#scaleOf(options);
    const steps = options.steps ?? 1;
    checkPositiveInteger(steps, 'steps');
    const [batch, height, width] = lr.shape;
    const { geometry, tiling } = this.#plan(height, width, scale, options.tile, batch, contextLength(this.unet, options.context ?? this.#context));
    if (tilesFromBudget(options.tile) && tiling.estimatedPeakBytes > tiling.memoryBudgetBytes) throw new PipelineMemoryError(tiling);
    const expected = [batch, geometry.latentHeight, geometry.latentWidth, this.vae.latentChannels];
    if (options.latents !== undefined && options.latents.shape.join() !== expected.join()) {
      throw new PipelineInputError(
        `latents must have shape [${expected.join(', ')}] (pipeline.latentShape(${height}, ${width}, { scale: ${scale}, batch: ${batch} })); ` +
          `got [${options.latents.shape.join(', ')}].`,
      );
    }
    return runYonos({
      vae: this.vae,
      unet: this.unet,
      scheduler: this.scheduler,
      residual: this.residual,
      lr,
      scale,
      steps,
      geometry,
      tiling,
      latents: options.latents,
      seed: options.seed ?? 0,
      context: options.context ?? this.#context,
      onProgress: options.onProgress,
      signal: options.signal,
    });
  }

  /** A call's `scale`, checked where it enters, else the pipeline's. */
  #scaleOf(options: { readonly scale?: number }): number {
    return options.scale === undefined ? this.scale : checkScale(options.scale);
  }

  #geometry(height: number, width: number, scale: number): RunGeometry {
    return runGeometry(height, width, scale, this.vae.downsampleFactor, this.latentMultiple);
  }
}
