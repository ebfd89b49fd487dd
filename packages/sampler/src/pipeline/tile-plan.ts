import { PipelineInputError } from './errors.js';

/** One tile's extent along one axis, with its blending weights. */
export interface AxisTile {
  /** First pixel covered. */
  readonly start: number;
  /** Pixels covered. */
  readonly size: number;
  /**
   * `size` weights, one per pixel, > 0: a linear ramp across each overlap with a neighbour,
   * normalized so the weights of all tiles covering a pixel sum to 1.
   */
  readonly weights: Float32Array;
}

/** Tiles of a 2-D image: every (row, column) pair is a tile; weights are separable. */
export interface TileGrid {
  /** Height of the tiled image, in pixels at this grid's resolution. */
  readonly height: number;
  /** Width of the tiled image, in pixels at this grid's resolution. */
  readonly width: number;
  /** The tiles along the height axis, top to bottom. */
  readonly rows: readonly AxisTile[];
  /** The tiles along the width axis, left to right. */
  readonly cols: readonly AxisTile[];
}

/**
 * The same tiling seen at an operation's input and output resolutions (for a VAE encode the
 * input is the image and the output the latent; for a decode, the reverse).
 */
export interface TilePlan {
  /** The tiling at the operation's input resolution (base units times `inputScale`). */
  readonly input: TileGrid;
  /** The same tiling at the operation's output resolution (base units times `outputScale`). */
  readonly output: TileGrid;
  /** Number of tiles, `rows * cols`. */
  readonly count: number;
}

/** Options of {@link planTiles}. All sizes are in base units (latent pixels in the pipeline). */
export interface PlanTilesOptions {
  /** Height of the area to tile, in base units. */
  readonly height: number;
  /** Width of the area to tile, in base units. */
  readonly width: number;
  /** Tile edge; an axis shorter than this is covered by one tile of its own length. */
  readonly tile: number;
  /** Fraction of `tile` shared with each neighbour, in `[0, 0.5]` (diffusers' `tile_overlap_factor` is 0.25). */
  readonly overlap: number;
  /** Input pixels per base unit (the VAE factor for an encode). Default 1. */
  readonly inputScale?: number;
  /** Output pixels per base unit (the VAE factor for a decode). Default 1. */
  readonly outputScale?: number;
}

/**
 * Tile starts along an axis: `ceil((length - tile) / stride) + 1` full-size tiles with stride
 * at most `tile - round(tile * overlap)`, spread evenly so the first starts at 0 and the last
 * ends at `length`. Every tile has the full size, so a model that needs sizes divisible by
 * some factor gets them whenever `tile` and `length` are.
 */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const stride = Math.max(1, tile - Math.round(tile * overlap));
  const count = Math.ceil((length - tile) / stride) + 1;
  return Array.from({ length: count }, (_, k) => Math.round((k * (length - tile)) / (count - 1)));
}

/**
 * Linear feathering: each tile's weight rises from ~0 to 1 across its overlap with the
 * previous tile and falls back across its overlap with the next one (pixel centres, so no
 * weight is exactly 0), then all weights covering a pixel are normalized to sum to 1. Where
 * two tiles overlap this is diffusers' linear `blend_h` / `blend_v`.
 */
export function axisTiles(starts: readonly number[], size: number, length: number): AxisTile[] {
  const raw = starts.map((start, k) => {
    const overlapPrev = k > 0 ? Math.max(0, starts[k - 1]! + size - start) : 0;
    const overlapNext = k < starts.length - 1 ? Math.max(0, start + size - starts[k + 1]!) : 0;
    return Float64Array.from({ length: size }, (_, i) => {
      const up = overlapPrev > 0 ? Math.min(1, (i + 0.5) / overlapPrev) : 1;
      const down = overlapNext > 0 ? Math.min(1, (size - i - 0.5) / overlapNext) : 1;
      return Math.min(up, down);
    });
  });
  const total = new Float64Array(length);
  starts.forEach((start, k) => raw[k]!.forEach((w, i) => (total[start + i]! += w)));
  return starts.map((start, k) => ({
    start,
    size,
    weights: Float32Array.from(raw[k]!, (w, i) => w / total[start + i]!),
  }));
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new PipelineInputError(`tiling: ${name} must be a positive integer, got ${value}.`);
  }
}

/**
 * Plans overlapping tiles over a `height x width` grid (base units) and derives the same
 * tiles at the input and output resolutions, with feathered weights at the output.
 * @throws PipelineInputError for non-integer sizes or an overlap outside `[0, 0.5]`.
 */
export function planTiles(options: PlanTilesOptions): TilePlan {
  const { height, width, tile, overlap, inputScale = 1, outputScale = 1 } = options;
  checkPositiveInteger(height, 'height');
  checkPositiveInteger(width, 'width');
  checkPositiveInteger(tile, 'tile size');
  checkPositiveInteger(inputScale, 'inputScale');
  checkPositiveInteger(outputScale, 'outputScale');
  if (!(overlap >= 0 && overlap <= 0.5)) {
    throw new PipelineInputError(`tiling: overlap must be a fraction in [0, 0.5] of the tile size, got ${overlap}.`);
  }
  const tileH = Math.min(tile, height);
  const tileW = Math.min(tile, width);
  const rowStarts = tileStarts(height, tileH, overlap);
  const colStarts = tileStarts(width, tileW, overlap);
  const gridAt = (scale: number): TileGrid => ({
    height: height * scale,
    width: width * scale,
    rows: axisTiles(rowStarts.map((s) => s * scale), tileH * scale, height * scale),
    cols: axisTiles(colStarts.map((s) => s * scale), tileW * scale, width * scale),
  });
  return { input: gridAt(inputScale), output: gridAt(outputScale), count: rowStarts.length * colStarts.length };
}

/** Tiles per axis of a `length` axis with tiles of `tile` (see `tileStarts`). */
export function tilesAlong(length: number, tile: number, overlap: number): number {
  return tileStarts(length, Math.min(tile, length), overlap).length;
}

/**
 * The smallest tile edge, from `largest` down to `minimum` in steps of `multiple` (units of
 * a `height x width` grid), that still covers the grid with as few tiles as `largest` does:
 * the same number of tiles with less overlap is less work (a tile just below the image size
 * would make two nearly whole tiles per axis).
 */
export function leastWorkTile(largest: number, minimum: number, multiple: number, height: number, width: number, overlap: number): number {
  const count = (tile: number): number => tilesAlong(height, tile, overlap) * tilesAlong(width, tile, overlap);
  const fewest = count(largest);
  let edge = largest;
  while (edge - multiple >= minimum && count(edge - multiple) === fewest) edge -= multiple;
  return edge;
}
