import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, NoiseScheduler } from '@yonos/core';
import { checkPositiveInteger } from './checks.js';
import { estimateRunMemory, largestTileWithin } from './memory.js';
import type { RunMemoryEstimate } from './memory.js';
import type { YonosTileOptions, YonosTiling } from './options.js';
import type { RunGeometry } from './run-geometry.js';
import { DDIMScheduler } from '../schedulers/index.js';
import { DEFAULT_TILE_OVERLAP, checkTileSize, memoryBudgetBytes, tileSizeOptions } from './tile-options.js';
import { leastWorkTile, planTiles, tilesAlong } from './tile-plan.js';

/** What {@link chooseYonosTiling} needs to know about a `YonosPipeline` run. */
export interface YonosTilingInput {
  readonly codec: LatentCodec;
  readonly denoiser: Denoiser;
  readonly scheduler: NoiseScheduler;
  /** U-Net tiles are multiples of this. */
  readonly latentMultiple: number;
  /** LR input `[height, width]`. */
  readonly input: readonly [number, number];
  /** The run's sizes. */
  readonly geometry: RunGeometry;
  readonly tile: boolean | YonosTileOptions | undefined;
  readonly batch: number;
  /** Tokens of the context the denoiser sees (0 without cross-attention). */
  readonly contextLength: number;
}

/**
 * The tiling of a `YonosPipeline` run (see `YonosPipeline.tiling`) on the active backend:
 * explicit tile sizes, or tiles chosen so that the estimate fits the budget: none where the
 * whole image fits; otherwise, of the U-Net and VAE tile sizes that fit, those that compute
 * the fewest pixels (overlaps counted), each the smallest tile for its number of tiles.
 * @throws PipelineInputError for tile sizes that are not multiples of the models' factors, a
 *   budget that is not positive or a batch that is not a positive integer.
 */
export function chooseYonosTiling(input: YonosTilingInput): YonosTiling {
  const { codec, denoiser, scheduler, geometry: g, tile, batch } = input;
  const f = codec.downsampleFactor;
  const m = input.latentMultiple;
  const opts = tileSizeOptions(tile);
  const budget = memoryBudgetBytes(opts);
  checkPositiveInteger(batch, 'batch');
  const imageSide = Math.max(g.paddedHeight, g.paddedWidth);
  const latentSide = Math.max(g.latentHeight, g.latentWidth);
  const backend = tf.getBackend();
  const ddim = scheduler instanceof DDIMScheduler;
  const estimates = new Map<string, RunMemoryEstimate>();
  const estimate = (vaeTileSize: number, latentTileSize: number): RunMemoryEstimate => {
    const key = `${vaeTileSize}/${latentTileSize}`;
    let e = estimates.get(key);
    if (e === undefined) {
      e = estimateRunMemory({
        codec,
        denoiser,
        batch,
        input: input.input,
        output: [g.outHeight, g.outWidth],
        padded: [g.paddedHeight, g.paddedWidth],
        vaeTileSize,
        latentTileSize,
        contextLength: input.contextLength,
        // Other schedulers get estimateRunMemory's default.
        ...(ddim ? { schedulerStepCopies: scheduler.stepCopies } : {}),
        stepByRows: ddim,
        ...(backend !== undefined ? { backend } : {}),
      });
      estimates.set(key, e);
    }
    return e;
  };
  let vaeTile = imageSide;
  let latentTile = latentSide;
  const vaeOverlap = opts.vaeOverlap ?? DEFAULT_TILE_OVERLAP;
  const latentOverlap = opts.latentOverlap ?? DEFAULT_TILE_OVERLAP;
  if (tile !== false) {
    if (opts.vaeTileSize !== undefined) vaeTile = checkTileSize(opts.vaeTileSize, f, 'tile.vaeTileSize', 'the VAE factor');
    if (opts.latentTileSize !== undefined) latentTile = checkTileSize(opts.latentTileSize, m, 'tile.latentTileSize', 'latentMultiple');
    const chooseVae = opts.vaeTileSize === undefined;
    const minVae = Math.min(imageSide, 8 * f);
    const minLatent = Math.min(latentSide, 2 * m);
    // The VAE tile for a U-Net tile: the largest that fits, shrunk to the smallest that
    // needs no more tiles (less overlap to compute).
    const vaeFor = (u: number): number => {
      if (!chooseVae) return vaeTile;
      const largest = largestTileWithin(budget, (v) => estimate(v, u).peak, f, imageSide, minVae);
      return f * leastWorkTile(largest / f, minVae / f, 1, g.latentHeight, g.latentWidth, vaeOverlap);
    };
    if (opts.latentTileSize === undefined) {
      // Each number of U-Net tiles the budget allows, with its smallest tile, and the VAE
      // tiles it leaves room for: the pair that computes the fewest pixels in all (overlaps
      // counted, as a share of the image for each model) wins; on a tie, fewer U-Net tiles,
      // whose norms see the whole tile and change the result more than the VAE's.
      const largest = largestTileWithin(budget, (u) => estimate(chooseVae ? minVae : vaeTile, u).peak, m, latentSide, minLatent);
      const share = (edge: number, overlap: number): number => tiledShare(edge, g.latentHeight, g.latentWidth, overlap);
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
