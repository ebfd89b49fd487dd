import type { Denoiser, LatentCodec } from '@yonos/core';
import { heapSlack, largestTileWithin, memoryOptions } from '../pipeline/memory.js';
import { DEFAULT_MEMORY_BUDGET_MB, DEFAULT_TILE_OVERLAP, checkTileSize, memoryBudgetBytes, tileSizeOptions } from '../pipeline/tile-options.js';
import { leastWorkTile, planTiles } from '../pipeline/tile-plan.js';

const F32 = 4;
/** The default memory budget, as `YonosPipeline`'s. */
export const DEFAULT_UPSCALE_BUDGET_MB = DEFAULT_MEMORY_BUDGET_MB;
/** Latent-sized tensors a DDIM step holds at its peak (x0, epsilon, two products, their sum) plus the model output. */
const STEP_COPIES = 6;

/** How a {@link StableDiffusionUpscalePipeline} run is split. Sizes not given are chosen from the memory budget. */
export interface UpscaleTileOptions {
  /**
   * The most tensor memory a run may use, in MiB (default 1024): the latents, the noised image,
   * the U-Net's activations on a tile (its `estimateMemory`, at twice the batch with guidance),
   * the blend, the scheduler step, the VAE decoder's activations on a tile and the output; not
   * the weights or the caller's input. Tile sizes not given are chosen to fit (see `chooseUpscaleTiling`).
   */
  readonly memoryBudgetMB?: number;
  /** U-Net tile edge in latent pixels (= low-res pixels), a multiple of the pipeline's `latentMultiple`. */
  readonly latentTileSize?: number;
  /** Fraction of a U-Net tile shared with each neighbour, in `[0, 0.5]`. Default 0.25. */
  readonly latentOverlap?: number;
  /** VAE decoder tile edge in output pixels, a multiple of the VAE factor (4 for the x4 upscaler). */
  readonly vaeTileSize?: number;
  /** Fraction of a VAE tile shared with each neighbour, in `[0, 0.5]`. Default 0.25. */
  readonly vaeOverlap?: number;
}

/** The tiling a run will use (see `StableDiffusionUpscalePipeline.tiling`). */
export interface UpscaleTiling {
  /** Latent height: the low-res height padded to a multiple of `latentMultiple`. */
  readonly latentHeight: number;
  /** Latent width: the low-res width padded to a multiple of `latentMultiple`. */
  readonly latentWidth: number;
  /** U-Net tile edge in latent pixels (the latent's longer side when untiled). */
  readonly latentTileSize: number;
  /** Fraction of a U-Net tile shared with each neighbour. */
  readonly latentOverlap: number;
  /** Tiles per U-Net step; 1 when untiled. */
  readonly latentTiles: number;
  /** VAE decoder tile edge in output pixels (the decoded image's longer side when untiled). */
  readonly vaeTileSize: number;
  /** Fraction of a VAE tile shared with each neighbour. */
  readonly vaeOverlap: number;
  /** Tiles of the decode; 1 when untiled. */
  readonly vaeTiles: number;
  /** The memory budget, in bytes. */
  readonly memoryBudgetBytes: number;
  /** The run's estimated peak tensor memory with these tiles, in bytes. */
  readonly estimatedPeakBytes: number;
  /** The estimate by stage, in bytes. */
  readonly estimatedStageBytes: {
    /** The denoising loop (U-Net tiles, blend, DDIM steps). */
    readonly denoise: number;
    /** Decoding (tile by tile), cropping and clamping. */
    readonly decode: number;
  };
}

/** What {@link estimateUpscaleMemory} and {@link chooseUpscaleTiling} need to know about a run. */
export interface UpscaleMemoryInput {
  /** The denoiser (its `estimateMemory` sizes the U-Net tiles). */
  readonly unet: Denoiser;
  /** The codec (its `estimateMemory` sizes the decoder tiles). */
  readonly vae: LatentCodec;
  /** Images in the batch. */
  readonly batch: number;
  /** Whether classifier-free guidance doubles the U-Net batch. */
  readonly guided: boolean;
  /** Tokens of the prompt embeddings. */
  readonly contextLength: number;
  /** Latent `[height, width]` (the padded low-res size). */
  readonly latent: readonly [number, number];
  /** The backend (`tf.getBackend()`): on wasm, heap slack and XNNPACK's retained buffers count. */
  readonly backend?: string;
}

/** What {@link estimateUpscaleMemory} returns, in bytes. */
export interface UpscaleMemoryEstimate {
  /** The denoising loop's peak. */
  readonly denoise: number;
  /** The decode's peak (cropping and clamping included). */
  readonly decode: number;
  /** The larger of the two. */
  readonly peak: number;
}

/**
 * Estimated peak tensor memory of an upscaler run's two stages, in bytes, from the models'
 * estimates and the pipeline's own tensors: the denoise stage holds `z_t` and the noised image,
 * plus per U-Net tile its windows, the (guidance-doubled) input, the U-Net's estimate and the
 * guided output, plus (tiled) the blend, then a DDIM step; the decode stage holds the latent,
 * the decoder's estimate on a tile, (tiled) the blend, then the output cropped and clamped.
 * @param latentTile U-Net tile edge in latent pixels.
 * @param vaeTile Decoder tile edge in output pixels.
 */
export function estimateUpscaleMemory(input: UpscaleMemoryInput, latentTile: number, vaeTile: number): UpscaleMemoryEstimate {
  const { unet, vae, batch: n, guided, contextLength, backend } = input;
  const [h, w] = input.latent;
  const c = vae.latentChannels;
  const f = vae.downsampleFactor;
  const unetBatch = guided ? 2 * n : n;
  const latent = (th: number, tw: number): number => c * F32 * n * th * tw;
  const lowRes = (th: number, tw: number): number => 3 * F32 * n * th * tw;
  const Z = latent(h, w);

  const [uh, uw] = [Math.min(latentTile, h), Math.min(latentTile, w)];
  const unetTiled = uh < h || uw < w;
  const tileZ = latent(uh, uw);
  const tileI = lowRes(uh, uw);
  const copies = guided ? 2 : 1;
  const forward = unet.estimateMemory([unetBatch, uh, uw], { contextLength, ...memoryOptions(backend) });
  // Windows, their guidance copies, the 7-channel input, then the U-Net and the guided combination.
  const evaluation = (unetTiled ? tileZ + tileI : 0) + copies * (tileZ + tileI) + copies * (tileZ + tileI) + forward.forward + 3 * tileZ;
  const blend = unetTiled ? 2 * Z + 8 * tileZ : 0;
  const denoise = Z + lowRes(h, w) + Math.max(evaluation + blend, STEP_COPIES * Z);

  const outH = h * f;
  const outW = w * f;
  const image = (th: number, tw: number): number => 3 * F32 * n * th * tw;
  const [vh, vw] = [Math.min(vaeTile, outH), Math.min(vaeTile, outW)];
  const vaeTiled = vh < outH || vw < outW;
  const codec = vae.estimateMemory([n, vh, vw], memoryOptions(backend));
  const decodeEvaluation = (vaeTiled ? latent(vh / f, vw / f) : 0) + codec.decode;
  const decodeBlend = vaeTiled ? image(outH, outW) + 8 * image(vh, vw) : 0;
  const decode = 2 * Z + Math.max(decodeEvaluation + decodeBlend, 3 * image(outH, outW));

  const heap = heapSlack(backend);
  const retainedDenoise = forward.forwardRetained ?? 0;
  const stages = { denoise: heap * denoise + retainedDenoise, decode: heap * decode + retainedDenoise + (codec.decodeRetained ?? 0) };
  return { ...stages, peak: Math.max(stages.denoise, stages.decode) };
}

/**
 * The tiles of a run: `tile: false` never tiles; otherwise given sizes are used, and missing
 * ones are chosen so that their stage fits the budget: the whole image where it fits, else the
 * smallest tile that needs no more tiles than the largest that fits.
 * @param latentMultiple U-Net tiles are multiples of this.
 * @throws PipelineInputError for tile sizes that are not multiples of the models' factors.
 */
export function chooseUpscaleTiling(input: UpscaleMemoryInput, latentMultiple: number, tile: boolean | UpscaleTileOptions | undefined): UpscaleTiling {
  const opts = tileSizeOptions(tile);
  const budget = memoryBudgetBytes(opts);
  const [h, w] = input.latent;
  const f = input.vae.downsampleFactor;
  const latentSide = Math.max(h, w);
  const imageSide = latentSide * f;
  const latentOverlap = opts.latentOverlap ?? DEFAULT_TILE_OVERLAP;
  const vaeOverlap = opts.vaeOverlap ?? DEFAULT_TILE_OVERLAP;
  let latentTile = latentSide;
  let vaeTile = imageSide;
  if (opts.latentTileSize !== undefined) latentTile = checkTileSize(opts.latentTileSize, latentMultiple, 'tile.latentTileSize', 'latentMultiple');
  if (opts.vaeTileSize !== undefined) vaeTile = checkTileSize(opts.vaeTileSize, f, 'tile.vaeTileSize', 'the VAE factor');
  if (tile !== false) {
    // The largest tile that fits, shrunk to the smallest that needs no more tiles (less overlap to compute).
    if (opts.latentTileSize === undefined) {
      const minimum = Math.min(latentSide, 2 * latentMultiple);
      const largest = largestTileWithin(budget, (u) => estimateUpscaleMemory(input, u, vaeTile).denoise, latentMultiple, latentSide, minimum);
      latentTile = leastWorkTile(largest, minimum, latentMultiple, h, w, latentOverlap);
    }
    if (opts.vaeTileSize === undefined) {
      const minimum = Math.min(imageSide, 8 * f);
      const largest = largestTileWithin(budget, (v) => estimateUpscaleMemory(input, latentTile, v).decode, f, imageSide, minimum);
      vaeTile = f * leastWorkTile(largest / f, minimum / f, 1, h, w, vaeOverlap);
    }
  }
  const latentPlan = planTiles({ height: h, width: w, tile: latentTile, overlap: latentOverlap });
  const vaePlan = planTiles({ height: h, width: w, tile: Math.max(1, Math.floor(vaeTile / f)), overlap: vaeOverlap });
  const memory = estimateUpscaleMemory(input, latentTile, vaeTile);
  return {
    latentHeight: h,
    latentWidth: w,
    latentTileSize: latentTile,
    latentOverlap,
    latentTiles: latentPlan.count,
    vaeTileSize: vaeTile,
    vaeOverlap,
    vaeTiles: vaePlan.count,
    memoryBudgetBytes: budget,
    estimatedPeakBytes: memory.peak,
    estimatedStageBytes: { denoise: memory.denoise, decode: memory.decode },
  };
}
