import type * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, NoiseScheduler, ProgressCallback, ResolvePretrainedClassOptions } from '@yonos/core';

/** The parts a {@link YonosPipeline} is composed of: any codec, any denoiser, any scheduler. */
export interface YonosPipelineComponents {
  /** Maps images to latents and back (`AutoencoderKL` of `@yonos/vae`, or your own). */
  readonly vae: LatentCodec;
  /**
   * Predicts from `concat(z_t, z_lr)` on channels: `inChannels` must be `2 * vae.latentChannels`,
   * `outChannels` `vae.latentChannels` (`UNet2DConditionModel` of `@yonos/unet`, or your own).
   */
  readonly unet: Denoiser;
  /** Default {@link defaultYonosScheduler}: DDIM, v-prediction, `trailing` spacing (1 step = t 999). */
  readonly scheduler?: NoiseScheduler;
  /**
   * The upscaling factor the model was trained for, and the default of
   * {@link YonosRunOptions.scale}. Default {@link DEFAULT_MODEL_SCALE} (4). Not the codec's
   * `scalingFactor`, which scales latents.
   */
  readonly scale?: number;
  /** @deprecated Renamed {@link YonosPipelineComponents.scale}; read when `scale` is absent. */
  readonly scaleFactor?: number;
  /**
   * Latent sides must be multiples of this for the denoiser (a U-Net with L levels needs
   * `2^(L-1)`). Default: the denoiser's `downsampleFactor`.
   */
  readonly latentMultiple?: number;
  /**
   * Residual diffusion: the denoiser was trained on `z_0 - z_lr` (what the bicubic upsample
   * lacks) rather than on `z_0`, so the pipeline adds `z_lr` to the denoised latent before
   * decoding. A freshly initialized model then starts at the bicubic result instead of noise,
   * which is what lets small models trained briefly beat the bicubic. Default `false`
   * (YONOS-SR as published).
   */
  readonly residual?: boolean;
  /**
   * Cross-attention context `[1 or N, L, crossAttentionDim]` for denoisers that have
   * cross-attention (a learned or fixed embedding of a text-free model). Default: zeros
   * `[N, 1, crossAttentionDim]`, the "null context". The pipeline keeps its own copy.
   */
  readonly context?: tf.Tensor3D;
}

/** How large images are split. Sizes not given are chosen from the memory budget. */
export interface YonosTileOptions {
  /**
   * The most tensor memory a run may use, in MiB (default 1024). It counts every tensor the
   * run allocates, at its peak, as `tf.memory().numBytes` sees them: the upsampled image,
   * latents, tile windows, the models' activations (their `estimateMemory`, see
   * `estimateRunMemory`), the blended canvases and the output. It does not count the models'
   * weights or the caller's input, which exist before the run. `numBytes` counts reshaped
   * views and clones as copies, so the backend holds at most that much; a process holds
   * more (the backend's own buffers, e.g. XNNPACK's, and the wasm heap only grows), see the
   * "Large images" guide.
   *
   * Tile sizes not given are the largest with which the run's estimate fits (no tiling where
   * the whole image fits). A run whose estimate does not fit even with the smallest tiles
   * throws {@link PipelineMemoryError} before it starts, unless tile sizes are given (or
   * `tile: false`), which run without the budget.
   */
  readonly memoryBudgetMB?: number;
  /** U-Net tile edge in latent pixels, a multiple of the pipeline's `latentMultiple`. */
  readonly latentTileSize?: number;
  /** Fraction of a U-Net tile shared with each neighbour, in `[0, 0.5]`. Default 0.25. */
  readonly latentOverlap?: number;
  /** VAE tile edge in image pixels (diffusers' `tile_sample_min_size`), a multiple of the VAE factor. */
  readonly vaeTileSize?: number;
  /** Fraction of a VAE tile shared with each neighbour, in `[0, 0.5]`. Default 0.25 (diffusers' `tile_overlap_factor`). */
  readonly vaeOverlap?: number;
}

/** Options of {@link YonosPipeline.run}. */
export interface YonosRunOptions {
  /** Upscaling factor (output side `ceil(input side * scale)`). Default: the pipeline's `scale`. */
  readonly scale?: number;
  /** Denoising steps (DDIM). Default 1. */
  readonly steps?: number;
  /** Seed of the initial noise `z_T`; the same seed gives the same output on every backend. Default 0. */
  readonly seed?: number | bigint | string;
  /**
   * `z_T` to start from instead of seeded noise: `[N, h, w, C]` with the shape
   * {@link YonosPipeline.latentShape} gives (diffusion scale, i.e. already multiplied by
   * `scalingFactor`, like diffusers' `latents`). Not disposed.
   */
  readonly latents?: tf.Tensor4D;
  /** Cross-attention context for this run, `[1 or N, L, D]`; overrides the pipeline's. Not disposed. */
  readonly context?: tf.Tensor3D;
  /** `false`: never tile. Otherwise tile where the memory budget requires it, or at the sizes given. Default `{}`. */
  readonly tile?: boolean | YonosTileOptions;
  /**
   * Progress: stage `'encode'` and `'decode'` once per VAE tile, `'denoise'` once per step
   * and U-Net tile (`detail`: `step`, `steps`, `timestep`, `tile`, `tiles`).
   */
  readonly onProgress?: ProgressCallback;
  /** Cancels the run between tiles and steps with {@link PipelineAbortedError}; nothing leaks. */
  readonly signal?: AbortSignal;
}

/** Options of {@link YonosPipeline.fromPretrained}. */
export interface YonosFromPretrainedOptions extends ResolvePretrainedClassOptions {
  /** Weights variant of the model components (`'fp16'`: `diffusion_pytorch_model.fp16.safetensors`). */
  readonly variant?: string;
  /** Components to use instead of loading them (the folder's entry for them is ignored). */
  readonly components?: Partial<Pick<YonosPipelineComponents, 'vae' | 'unet' | 'scheduler'>>;
  /**
   * The pipeline's upscaling factor, instead of `model_index.json`'s `scale_factor`. Without a
   * location, it also picks which of the default model's folders is loaded (`x4`, `x8`, ...;
   * default the provider's default, {@link DEFAULT_MODEL_SCALE}).
   */
  readonly scale?: number;
  /** @deprecated Renamed {@link YonosFromPretrainedOptions.scale}; read when `scale` is absent. */
  readonly scaleFactor?: number;
}

/** The tiling a run will use (see {@link YonosPipeline.tiling}). */
export interface YonosTiling {
  /** Height in pixels of the padded image the VAE sees (a multiple of `vae.downsampleFactor * latentMultiple`). */
  readonly paddedHeight: number;
  /** Width in pixels of the padded image the VAE sees (a multiple of `vae.downsampleFactor * latentMultiple`). */
  readonly paddedWidth: number;
  /** Latent height, `paddedHeight / vae.downsampleFactor`. */
  readonly latentHeight: number;
  /** Latent width, `paddedWidth / vae.downsampleFactor`. */
  readonly latentWidth: number;
  /** VAE tile edge in image pixels (the padded image's longer side when untiled). */
  readonly vaeTileSize: number;
  /** Fraction of a VAE tile shared with each neighbour, in `[0, 0.5]`. */
  readonly vaeOverlap: number;
  /** U-Net tile edge in latent pixels (the latent's longer side when untiled). */
  readonly latentTileSize: number;
  /** Fraction of a U-Net tile shared with each neighbour, in `[0, 0.5]`. */
  readonly latentOverlap: number;
  /** Tiles per VAE pass (encode or decode); 1 when untiled. */
  readonly vaeTiles: number;
  /** Tiles per U-Net step; 1 when untiled. */
  readonly latentTiles: number;
  /** The memory budget, in bytes ({@link YonosTileOptions.memoryBudgetMB}). */
  readonly memoryBudgetBytes: number;
  /** The run's estimated peak tensor memory with these tiles, in bytes (see `estimateRunMemory`). */
  readonly estimatedPeakBytes: number;
  /** The estimate by stage, in bytes; `estimatedPeakBytes` is the largest. */
  readonly estimatedStageBytes: {
    /** Bicubic upsampling and padding. */
    readonly upsample: number;
    /** Encoding and scaling to `z_lr`. */
    readonly encode: number;
    /** The denoising loop. */
    readonly denoise: number;
    /** Decoding, cropping and clamping. */
    readonly decode: number;
  };
}

/** Options of `YonosPipeline.savePretrained`. */
export interface YonosSavePretrainedOptions {
  /** Float type of the stored weights: `'F32'` (default) or `'F16'`. */
  readonly dtype?: 'F32' | 'F16';
}
