import * as tf from '@tensorflow/tfjs-core';
import { DIFFUSERS_VERSION, createRng, imresize, openModelStore, openWritableModelStore } from '@yonos/core';
import type { Denoiser, LatentCodec, ModelImage, ModelLocation, NoiseScheduler, RawImage } from '@yonos/core';
import {
  asDenoiser,
  asLatentCodec,
  asScheduler,
  checkCompatible,
  checkImage,
  checkImageRange,
  checkPositive,
  checkPositiveInteger,
  denoiserLatentMultiple,
} from './checks.js';
import { loadComponent, saveComponent } from './components.js';
import { readContext, writeContext, CONTEXT_FILE } from './context-file.js';
import { checkpoint, report, throwIfAborted } from './control.js';
import { DDIMScheduler } from '../schedulers/index.js';
import { defaultYonosScheduler } from './default-scheduler.js';
import { resolveDefaultModel } from './default-model.js';
import { denoiseLatents } from './denoise.js';
import { PipelineInputError, PipelineMemoryError } from './errors.js';
import { upscaleImageKinds } from './image-kinds.js';
import { estimateRunMemory, largestTileWithin } from './memory.js';
import type { RunMemoryEstimate } from './memory.js';
import { MODEL_INDEX_NAME, PIPELINE_COMPONENTS, YONOS_PIPELINE_CLASS, modelIndexJson, parseModelIndex } from './model-index.js';
import type { YonosModelIndex } from './model-index.js';
import type {
  YonosFromPretrainedOptions,
  YonosPipelineComponents,
  YonosRunOptions,
  YonosSavePretrainedOptions,
  YonosTileOptions,
  YonosTiling,
} from './options.js';
import { cropTopLeft, padBottomRight, roundUpTo } from './padding.js';
import { TiledLatentCodec } from './tiled-codec.js';
import type { TileLoopHooks } from './tile-blend.js';
import { leastWorkTile, planTiles, tilesAlong } from './tile-plan.js';

const MIB = 2 ** 20;
const DEFAULT_BUDGET_MB = 1024;
const DEFAULT_OVERLAP = 0.25;

/** Sizes of one run: output, padded image and latent. */
interface Geometry {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly paddedHeight: number;
  readonly paddedWidth: number;
  readonly latentHeight: number;
  readonly latentWidth: number;
}

/**
 * One-step diffusion super-resolution (YONOS-SR), composed from the contracts of
 * `@yonos/core`: any {@link LatentCodec}, any {@link Denoiser}, any {@link NoiseScheduler}.
 *
 * 1. The LR image (NHWC, `[-1, 1]`) is upsampled by the scale factor with the MATLAB-compatible
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
  /** The factor the model was trained for, the default of {@link YonosRunOptions.scale}. */
  readonly scaleFactor: number;
  /** Latent sides are padded to multiples of this for the denoiser. */
  readonly latentMultiple: number;
  /** Whether the denoiser works on `z_0 - z_lr` (see {@link YonosPipelineComponents.residual}). */
  readonly residual: boolean;
  #context: tf.Tensor3D | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param components The models; the pipeline takes them over ({@link YonosPipeline.dispose} disposes them).
   * @throws PipelineInputError if the components do not fit together.
   */
  constructor(components: YonosPipelineComponents) {
    this.vae = asLatentCodec(components.vae, 'vae');
    this.unet = asDenoiser(components.unet, 'unet');
    this.scheduler = asScheduler(components.scheduler ?? defaultYonosScheduler(), 'scheduler');
    checkCompatible(this.vae, this.unet);
    this.scaleFactor = components.scaleFactor ?? 4;
    checkPositive(this.scaleFactor, 'scaleFactor');
    this.latentMultiple = components.latentMultiple ?? denoiserLatentMultiple(this.unet);
    checkPositiveInteger(this.latentMultiple, 'latentMultiple');
    this.residual = components.residual ?? false;
    if (components.context !== undefined) {
      this.#checkContext(components.context, 1);
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
   * `DefaultModelProvider` (see `registerDefaultModel`) has for `options.scaleFactor` (default: the provider's default
   * scale, 4). Importing `yonos` registers the model it bundles (x4 and x8).
   * @param location A directory (Node), a URL, or a `ModelStore`; omitted (or `undefined`) for the default model.
   * @throws UnknownPretrainedClassError for a class nobody provides; PretrainedError for missing or bad files.
   * @throws NoDefaultModelError without a location when no default model is registered;
   *   ScaleNotBundledError when it has no model for the requested scale.
   * @example
   * ```ts
   * import { YonosPipeline } from 'yonos'; // registers the bundled model
   * const x4 = await YonosPipeline.fromPretrained(); // the bundled x4 model
   * const x8 = await YonosPipeline.fromPretrained(undefined, { scaleFactor: 8 }); // the bundled x8 model
   * const mine = await YonosPipeline.fromPretrained('models/my-x4'); // any pipeline folder
   * ```
   */
  static async fromPretrained(location?: ModelLocation, options: YonosFromPretrainedOptions = {}): Promise<YonosPipeline> {
    const store = await openModelStore(location ?? (await resolveDefaultModel(options.scaleFactor)).location);
    const index = parseModelIndex(await store.readText(MODEL_INDEX_NAME), store.location);
    const loaded: unknown[] = [];
    const parts: Record<string, unknown> = {};
    let context: tf.Tensor3D | undefined;
    try {
      for (const name of PIPELINE_COMPONENTS) {
        const given = options.components?.[name];
        if (given !== undefined) {
          parts[name] = given;
          continue;
        }
        const component = await loadComponent(store, name, index[name], options);
        loaded.push(component);
        parts[name] = component;
      }
      if (index.context !== undefined) context = await readContext(store, index.context);
      return new YonosPipeline({
        vae: parts['vae'] as LatentCodec,
        unet: parts['unet'] as Denoiser,
        scheduler: parts['scheduler'] as NoiseScheduler,
        scaleFactor: options.scaleFactor ?? index.scale_factor,
        ...(index.latent_multiple !== undefined ? { latentMultiple: index.latent_multiple } : {}),
        ...(index.residual !== undefined ? { residual: index.residual } : {}),
        ...(context !== undefined ? { context } : {}),
      });
    } catch (error) {
      for (const component of loaded) disposeComponent(component);
      throw error;
    } finally {
      context?.dispose();
    }
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
    const store = await openWritableModelStore(location);
    const weights = options.dtype !== undefined ? { dtype: options.dtype } : {};
    const specs = {
      scheduler: await saveComponent(store, 'scheduler', this.scheduler),
      unet: await saveComponent(store, 'unet', this.unet, weights),
      vae: await saveComponent(store, 'vae', this.vae, weights),
    };
    if (this.#context !== undefined) await writeContext(store, CONTEXT_FILE, this.#context);
    const index: YonosModelIndex = {
      _class_name: YONOS_PIPELINE_CLASS,
      _diffusers_version: DIFFUSERS_VERSION,
      scale_factor: this.scaleFactor,
      latent_multiple: this.latentMultiple,
      ...(this.residual ? { residual: true } : {}),
      ...(this.#context !== undefined ? { context: CONTEXT_FILE } : {}),
      ...specs,
    };
    await store.writeText(MODEL_INDEX_NAME, modelIndexJson(index));
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
    const g = this.#geometry(height, width, options.scale ?? this.scaleFactor);
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
    return this.#tiling(height, width, options.scale ?? this.scaleFactor, options.tile, options.batch ?? 1, this.#contextLength(this.#context));
  }

  #tiling(height: number, width: number, scale: number, tile: boolean | YonosTileOptions | undefined, batch: number, contextLength: number): YonosTiling {
    const g = this.#geometry(height, width, scale);
    const f = this.vae.downsampleFactor;
    const m = this.latentMultiple;
    const opts: YonosTileOptions = tile === true || tile === false || tile === undefined ? {} : tile;
    const budget = (opts.memoryBudgetMB ?? DEFAULT_BUDGET_MB) * MIB;
    checkPositive(budget, 'tile.memoryBudgetMB');
    checkPositiveInteger(batch, 'batch');
    const imageSide = Math.max(g.paddedHeight, g.paddedWidth);
    const latentSide = Math.max(g.latentHeight, g.latentWidth);
    const backend = tf.getBackend();
    // DDIM's step holds 5 latents (6 with clip_sample); other schedulers are assumed to hold 8.
    const stepCopies = this.scheduler instanceof DDIMScheduler ? this.scheduler.stepCopies : 8;
    const estimates = new Map<string, RunMemoryEstimate>();
    const estimate = (vaeTileSize: number, latentTileSize: number): RunMemoryEstimate => {
      const key = `${vaeTileSize}/${latentTileSize}`;
      let e = estimates.get(key);
      if (e === undefined) {
        e = estimateRunMemory({
          codec: this.vae,
          denoiser: this.unet,
          batch,
          input: [height, width],
          output: [g.outHeight, g.outWidth],
          padded: [g.paddedHeight, g.paddedWidth],
          vaeTileSize,
          latentTileSize,
          contextLength,
          schedulerStepCopies: stepCopies,
          stepByRows: this.scheduler instanceof DDIMScheduler,
          ...(backend !== undefined ? { backend } : {}),
        });
        estimates.set(key, e);
      }
      return e;
    };
    let vaeTile = imageSide;
    let latentTile = latentSide;
    if (tile !== false) {
      if (opts.vaeTileSize !== undefined) {
        vaeTile = opts.vaeTileSize;
        if (!Number.isInteger(vaeTile) || vaeTile < f || vaeTile % f !== 0) {
          throw new PipelineInputError(`tile.vaeTileSize must be a positive multiple of the VAE factor ${f}; got ${vaeTile}.`);
        }
      }
      if (opts.latentTileSize !== undefined) {
        latentTile = opts.latentTileSize;
        if (!Number.isInteger(latentTile) || latentTile < m || latentTile % m !== 0) {
          throw new PipelineInputError(`tile.latentTileSize must be a positive multiple of latentMultiple ${m}; got ${latentTile}.`);
        }
      }
      const chooseVae = opts.vaeTileSize === undefined;
      const chooseLatent = opts.latentTileSize === undefined;
      const minVae = Math.min(imageSide, 8 * f);
      const minLatent = Math.min(latentSide, 2 * m);
      const vaeOverlap = opts.vaeOverlap ?? DEFAULT_OVERLAP;
      const latentOverlap = opts.latentOverlap ?? DEFAULT_OVERLAP;
      // The VAE tile for a U-Net tile: the largest that fits, shrunk to the smallest that
      // needs no more tiles (less overlap to compute).
      const vaeFor = (u: number): number => {
        if (!chooseVae) return vaeTile;
        const largest = largestTileWithin(budget, (v) => estimate(v, u).peak, f, imageSide, minVae);
        return f * leastWorkTile(largest / f, minVae / f, 1, g.latentHeight, g.latentWidth, vaeOverlap);
      };
      if (chooseLatent) {
        // Each number of U-Net tiles the budget allows, with its smallest tile, and the VAE
        // tiles it leaves room for: the pair that computes the fewest pixels in all (overlaps
        // counted, as a share of the image for each model) wins; on a tie, fewer U-Net tiles,
        // whose norms see the whole tile and change the result more than the VAE's.
        const largest = largestTileWithin(budget, (u) => estimate(chooseVae ? minVae : vaeTile, u).peak, m, latentSide, minLatent);
        const share = (tile: number, overlap: number): number => tiledShare(tile, g.latentHeight, g.latentWidth, overlap);
        let best: { u: number; v: number; score: number; fits: boolean } | undefined;
        for (const u of fewestTilesEdges(largest, minLatent, m, g.latentHeight, g.latentWidth, latentOverlap)) {
          const unetShare = share(u, latentOverlap);
          if (best?.fits === true && unetShare + 1 >= best.score) continue; // cannot win: the VAE's share is at least 1
          const v = vaeFor(u);
          const fits = estimate(v, u).peak <= budget;
          const score = unetShare + share(v / f, vaeOverlap);
          if (best === undefined || (fits && (!best.fits || score < best.score))) best = { u, v, score, fits };
        }
        latentTile = best!.u;
        vaeTile = best!.v;
      } else {
        vaeTile = vaeFor(latentTile);
      }
    }
    const vaeOverlap = opts.vaeOverlap ?? DEFAULT_OVERLAP;
    const latentOverlap = opts.latentOverlap ?? DEFAULT_OVERLAP;
    const vaePlan = planTiles({ height: g.latentHeight, width: g.latentWidth, tile: vaeTile / f, overlap: vaeOverlap });
    const latentPlan = planTiles({ height: g.latentHeight, width: g.latentWidth, tile: latentTile, overlap: latentOverlap });
    const memory = estimate(vaePlan.count === 1 ? imageSide : vaeTile, latentPlan.count === 1 ? latentSide : latentTile);
    return {
      paddedHeight: g.paddedHeight,
      paddedWidth: g.paddedWidth,
      latentHeight: g.latentHeight,
      latentWidth: g.latentWidth,
      vaeTileSize: vaeTile,
      vaeOverlap,
      latentTileSize: latentTile,
      latentOverlap,
      vaeTiles: vaePlan.count,
      latentTiles: latentPlan.count,
      memoryBudgetBytes: budget,
      estimatedPeakBytes: memory.peak,
      estimatedStageBytes: { upsample: memory.upsample, encode: memory.encode, denoise: memory.denoise, decode: memory.decode },
    };
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
    const task = this.#queue.then(() => this.#run(lr, options));
    this.#queue = task.catch(() => undefined);
    return task;
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
    return upscaleImageKinds(image, options.scale ?? this.scaleFactor, (rgb) => this.run(rgb, options));
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
    const scale = options.scale ?? this.scaleFactor;
    checkPositive(scale, 'scale');
    const steps = options.steps ?? 1;
    checkPositiveInteger(steps, 'steps');
    const [batch, height, width] = lr.shape;
    const g = this.#geometry(height, width, scale);
    const tiling = this.#tiling(height, width, scale, options.tile, batch, this.#contextLength(options.context ?? this.#context));
    const tile = options.tile;
    const budgetChosen = tile !== false && (typeof tile !== 'object' || (tile.vaeTileSize === undefined && tile.latentTileSize === undefined));
    if (budgetChosen && tiling.estimatedPeakBytes > tiling.memoryBudgetBytes) throw new PipelineMemoryError(tiling);
    const expected = this.latentShape(height, width, { scale, batch });
    if (options.latents !== undefined && options.latents.shape.join() !== expected.join()) {
      throw new PipelineInputError(
        `latents must have shape [${expected.join(', ')}] (pipeline.latentShape(${height}, ${width}, { scale: ${scale}, batch: ${batch} })); ` +
          `got [${options.latents.shape.join(', ')}].`,
      );
    }
    const codec = new TiledLatentCodec(this.vae, { tileSampleSize: tiling.vaeTileSize, overlap: tiling.vaeOverlap });
    const { onProgress, signal } = options;
    const hooks = (stage: string): TileLoopHooks => ({
      beforeTile: () => checkpoint(signal),
      afterTile: (r, total) => report(onProgress, { stage, completed: r.index + 1, total }),
    });
    throwIfAborted(signal);

    let up: tf.Tensor4D | undefined;
    let condition: tf.Tensor4D | undefined;
    let zT: tf.Tensor4D | undefined;
    let context: tf.Tensor3D | undefined;
    let z0: tf.Tensor4D | undefined;
    let latent: tf.Tensor4D | undefined;
    let decoded: tf.Tensor4D | undefined;
    try {
      up = tf.tidy(() => padBottomRight(imresize(lr, scale), g.paddedHeight, g.paddedWidth));
      // Only the mean is used: its tiles are blended without their log-variances.
      const mean = await codec.encodeMeanAsync(up, hooks('encode'));
      let cond: tf.Tensor4D;
      try {
        cond = tf.tidy(() => tf.mul(tf.sub(mean, this.vae.shiftFactor), this.vae.scalingFactor) as tf.Tensor4D);
      } finally {
        mean.dispose();
      }
      condition = cond;
      up.dispose();

      const sigma = this.scheduler.initNoiseSigma ?? 1;
      zT =
        options.latents !== undefined
          ? tf.clone(options.latents)
          : (tf.tidy(() => tf.mul(createRng(options.seed ?? 0).normal(expected), sigma)) as tf.Tensor4D);
      context = this.#contextFor(batch, options.context);
      this.scheduler.setTimesteps(steps);
      const start = zT;
      zT = undefined; // denoiseLatents takes it over
      z0 = await denoiseLatents({
        unet: this.unet,
        scheduler: this.scheduler,
        latents: start,
        consumeLatents: true,
        // DDIM's step (without eta, as here) is elementwise.
        stepByRows: this.scheduler instanceof DDIMScheduler,
        condition: cond,
        ...(context !== undefined ? { context } : {}),
        plan: planTiles({ height: g.latentHeight, width: g.latentWidth, tile: tiling.latentTileSize, overlap: tiling.latentOverlap }),
        ...(onProgress !== undefined ? { onProgress } : {}),
        ...(signal !== undefined ? { signal } : {}),
      });
      if (this.residual) {
        const shifted = tf.add(z0, cond) as tf.Tensor4D;
        z0.dispose();
        z0 = shifted;
      }
      tf.dispose([condition, ...(context !== undefined ? [context] : [])]);

      latent = tf.tidy(() => tf.add(tf.div(z0!, this.vae.scalingFactor), this.vae.shiftFactor) as tf.Tensor4D);
      z0.dispose();
      decoded = await codec.decodeAsync(latent, hooks('decode'));
      latent.dispose();
      if (g.outHeight !== g.paddedHeight || g.outWidth !== g.paddedWidth) {
        const cropped = cropTopLeft(decoded, g.outHeight, g.outWidth);
        decoded.dispose();
        decoded = cropped;
      }
      return tf.clipByValue(decoded, -1, 1);
    } finally {
      // Idempotent: tensors already freed on the way are skipped.
      const owned: Array<tf.Tensor | undefined> = [up, condition, zT, context, z0, latent, decoded];
      tf.dispose(owned.filter((t): t is tf.Tensor => t !== undefined));
    }
  }

  /** Tokens of the context a run passes to the denoiser: 0 without cross-attention, 1 for the null context. */
  #contextLength(context: tf.Tensor3D | undefined): number {
    if (this.unet.crossAttentionDim === undefined) return 0;
    return context?.shape[1] ?? 1;
  }

  #geometry(height: number, width: number, scale: number): Geometry {
    checkPositiveInteger(height, 'height');
    checkPositiveInteger(width, 'width');
    checkPositive(scale, 'scale');
    const outHeight = Math.ceil(height * scale);
    const outWidth = Math.ceil(width * scale);
    const unit = this.vae.downsampleFactor * this.latentMultiple;
    const paddedHeight = roundUpTo(outHeight, unit);
    const paddedWidth = roundUpTo(outWidth, unit);
    return {
      outHeight,
      outWidth,
      paddedHeight,
      paddedWidth,
      latentHeight: paddedHeight / this.vae.downsampleFactor,
      latentWidth: paddedWidth / this.vae.downsampleFactor,
    };
  }

  #checkContext(context: tf.Tensor, batch: number): void {
    const dim = this.unet.crossAttentionDim;
    if (dim === undefined) {
      throw new PipelineInputError('this denoiser has no cross-attention (crossAttentionDim is undefined); do not pass a context.');
    }
    const [n, , d] = context.shape;
    if (context.rank !== 3 || d !== dim || (n !== 1 && n !== batch)) {
      throw new PipelineInputError(
        `context must be [1 or ${batch}, L, ${dim}] (crossAttentionDim ${dim}); got [${context.shape.join(', ')}].`,
      );
    }
  }

  /** The context for a batch of `batch`: the override, the pipeline's, or zeros `[batch, 1, D]`. Caller owns it. */
  #contextFor(batch: number, override: tf.Tensor3D | undefined): tf.Tensor3D | undefined {
    const dim = this.unet.crossAttentionDim;
    const base = override ?? this.#context;
    if (base !== undefined) this.#checkContext(base, batch);
    if (dim === undefined) return undefined;
    if (base === undefined) return tf.zeros([batch, 1, dim]);
    return tf.tidy(() => (base.shape[0] === batch ? tf.clone(base) : tf.tile(base, [batch, 1, 1])));
  }
}

/**
 * For every number of tiles that edges from `largest` down to `minimum` give, the smallest
 * such edge (see {@link leastWorkTile}), fewest tiles first.
 */
function fewestTilesEdges(largest: number, minimum: number, multiple: number, height: number, width: number, overlap: number): number[] {
  const edges: number[] = [];
  let edge = largest;
  while (edge >= minimum) {
    const smallest = leastWorkTile(edge, minimum, multiple, height, width, overlap);
    edges.push(smallest);
    edge = smallest - multiple;
  }
  return edges;
}

/**
 * The pixels that tiles of `tile` cover on a `height x width` grid, overlaps counted, as a
 * share of the grid (1 untiled).
 */
function tiledShare(tile: number, height: number, width: number, overlap: number): number {
  const along = (length: number): number => (tilesAlong(length, tile, overlap) * Math.min(tile, length)) / length;
  return along(height) * along(width);
}

function disposeComponent(component: unknown): void {
  const d = (component as { dispose?: unknown } | null)?.dispose;
  if (typeof d === 'function') d.call(component);
}
