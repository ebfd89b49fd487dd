import * as tf from '@tensorflow/tfjs-core';
import { PipelineInputError } from './errors.js';
import type { TileGrid, TilePlan } from './tile-plan.js';

/** Where one tile sits, at the input and at the output resolution. */
export interface TileRegion {
  /** Row-major index, 0-based. */
  readonly index: number;
  /** Row of the tile in the grid, 0-based (index into {@link TileGrid.rows}). */
  readonly row: number;
  /** Column of the tile in the grid, 0-based (index into {@link TileGrid.cols}). */
  readonly col: number;
  /** Top of the input window, in input pixels. */
  readonly y: number;
  /** Left of the input window, in input pixels. */
  readonly x: number;
  /** Height of the input window, in input pixels. */
  readonly height: number;
  /** Width of the input window, in input pixels. */
  readonly width: number;
}

/**
 * Sums feathered tile outputs into one NHWC canvas. Tiles must be added row by row (all of
 * row 0, then row 1, ...): each row is gathered in a strip as tall as a tile, and a strip is
 * added to the canvas when its row is done, so padding never touches more than one strip
 * and one canvas per row. Because the grid's weights sum to 1 at every pixel, the canvas
 * needs no normalization.
 */
export class TileAccumulator {
  readonly #grid: TileGrid;
  #canvas: tf.Tensor4D | undefined;
  #strip: tf.Tensor4D | undefined;
  #row = -1;

  /** @param grid The output grid (with weights) of a {@link TilePlan}. */
  constructor(grid: TileGrid) {
    this.#grid = grid;
  }

  /**
   * Adds one tile's output, weighted. Safe inside `tf.tidy` (the accumulator keeps its own tensors).
   * @param output NHWC `[N, rows[row].size, cols[col].size, C]`; not disposed.
   * @throws PipelineInputError for a wrong shape or out-of-order row.
   */
  add(row: number, col: number, output: tf.Tensor4D): void {
    const rt = this.#grid.rows[row];
    const ct = this.#grid.cols[col];
    if (rt === undefined || ct === undefined || row < this.#row) {
      throw new PipelineInputError(`TileAccumulator.add: tile (${row}, ${col}) is outside the grid or added out of row order.`);
    }
    if (output.rank !== 4 || output.shape[1] !== rt.size || output.shape[2] !== ct.size) {
      throw new PipelineInputError(
        `a tile's output has shape [${output.shape.join(', ')}] but the tile is ${rt.size}x${ct.size}; ` +
          'the model must map a tile to exactly its region (check the VAE downsample factor).',
      );
    }
    if (row !== this.#row) this.#flush();
    this.#row = row;
    const next = tf.tidy(() => {
      const wy = tf.tensor4d(rt.weights, [1, rt.size, 1, 1]);
      const wx = tf.tensor4d(ct.weights, [1, 1, ct.size, 1]);
      const weighted = tf.mul(tf.mul(output, wy), wx);
      const padded = tf.pad(weighted, [[0, 0], [0, 0], [ct.start, this.#grid.width - ct.start - ct.size], [0, 0]]) as tf.Tensor4D;
      return this.#strip === undefined ? padded : (tf.add(this.#strip, padded) as tf.Tensor4D);
    });
    this.#strip?.dispose();
    this.#strip = tf.keep(next);
  }

  /** The blended `[N, height, width, C]` canvas; the caller owns it and the accumulator is emptied. */
  finish(): tf.Tensor4D {
    this.#flush();
    const canvas = this.#canvas;
    if (canvas === undefined) throw new PipelineInputError('TileAccumulator.finish: no tile was added.');
    this.#canvas = undefined;
    this.#row = -1;
    return canvas;
  }

  /** Frees partial results (after an error or abort). */
  dispose(): void {
    tf.dispose([this.#strip, this.#canvas].filter((t): t is tf.Tensor4D => t !== undefined));
    this.#strip = undefined;
    this.#canvas = undefined;
  }

  #flush(): void {
    const strip = this.#strip;
    if (strip === undefined) return;
    const rt = this.#grid.rows[this.#row]!;
    const next = tf.tidy(() => {
      const padded = tf.pad(strip, [[0, 0], [rt.start, this.#grid.height - rt.start - rt.size], [0, 0], [0, 0]]) as tf.Tensor4D;
      return this.#canvas === undefined ? padded : (tf.add(this.#canvas, padded) as tf.Tensor4D);
    });
    this.#canvas?.dispose();
    strip.dispose();
    this.#strip = undefined;
    this.#canvas = tf.keep(next);
  }
}

/** The input window of every tile of a plan, row-major. */
export function tileRegions(plan: TilePlan): TileRegion[] {
  const out: TileRegion[] = [];
  plan.input.rows.forEach((r, row) =>
    plan.input.cols.forEach((c, col) => {
      out.push({ index: out.length, row, col, y: r.start, x: c.start, height: r.size, width: c.size });
    }),
  );
  return out;
}

/** Hooks of {@link blendTiles}, for progress, cancellation and yielding to the event loop. */
export interface TileLoopHooks {
  /** Awaited before each tile; throw to stop (everything made so far is freed). */
  readonly beforeTile?: (region: TileRegion, total: number) => void | Promise<void>;
  /** Called after each tile is blended in. */
  readonly afterTile?: (region: TileRegion, total: number) => void;
}

/**
 * Runs `produce` on every tile and blends the outputs (synchronous; for contracts that
 * cannot await). `produce` returns a new tensor, freed here; it runs inside `tf.tidy`.
 * @returns The blended `[N, output.height, output.width, C]`; caller owns it.
 */
export function blendTilesSync(plan: TilePlan, produce: (region: TileRegion) => tf.Tensor4D): tf.Tensor4D {
  const acc = new TileAccumulator(plan.output);
  try {
    for (const region of tileRegions(plan)) {
      tf.tidy(() => acc.add(region.row, region.col, produce(region)));
    }
    return acc.finish();
  } catch (error) {
    acc.dispose();
    throw error;
  }
}

/** {@link blendTilesSync} with awaited hooks between tiles. Leak-free when a hook throws. */
export async function blendTiles(
  plan: TilePlan,
  produce: (region: TileRegion) => tf.Tensor4D,
  hooks: TileLoopHooks = {},
): Promise<tf.Tensor4D> {
  const acc = new TileAccumulator(plan.output);
  try {
    for (const region of tileRegions(plan)) {
      await hooks.beforeTile?.(region, plan.count);
      tf.tidy(() => acc.add(region.row, region.col, produce(region)));
      hooks.afterTile?.(region, plan.count);
    }
    return acc.finish();
  } catch (error) {
    acc.dispose();
    throw error;
  }
}
