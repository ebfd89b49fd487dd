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
 * Sums NHWC tensors that cover bands along one axis (1: rows, 2: columns), added in order of
 * their starts. Where bands overlap they are summed in the order they came; once a later band
 * starts past a stretch, that stretch is final and set aside, so besides the finished
 * stretches only one band is ever open. Stretches no band covers are zeros.
 */
class BandSum {
  readonly #axis: 1 | 2;
  readonly #done: tf.Tensor4D[] = [];
  readonly #sink: ((start: number, part: tf.Tensor4D) => void) | undefined;
  #open: tf.Tensor4D | undefined;
  #start = 0;
  #end = 0;
  /** Where the next finished stretch starts. */
  #next = 0;
  /** A band's shape (for zeros where no band reaches). */
  #like: readonly number[] | undefined;

  /**
   * @param sink When given, finished stretches go to it (it takes them over), with where they
   *   start, instead of being kept for {@link BandSum.finish}.
   */
  constructor(axis: 1 | 2, sink?: (start: number, part: tf.Tensor4D) => void) {
    this.#axis = axis;
    this.#sink = sink;
  }

  #setAside(part: tf.Tensor4D): void {
    const start = this.#next;
    this.#next += part.shape[this.#axis];
    if (this.#sink !== undefined) this.#sink(start, part);
    else this.#done.push(part);
  }

  /** Adds `band` (taken over: it is kept or freed here) covering `[start, start + size)`. */
  add(start: number, band: tf.Tensor4D): void {
    const size = band.shape[this.#axis];
    this.#like ??= band.shape;
    const open = this.#open;
    if (open === undefined || start >= this.#end) {
      if (open !== undefined) this.#setAside(open);
      if (start > this.#end) this.#setAside(this.#zeros(band, start - this.#end));
      this.#open = band;
      this.#start = start;
      this.#end = start + size;
      return;
    }
    const end = Math.max(this.#end, start + size);
    const overlap = Math.min(this.#end, start + size) - start;
    const [finished, next] = tf.tidy(() => {
      const parts = [tf.add(this.#slice(open, start - this.#start, overlap), this.#slice(band, 0, overlap)) as tf.Tensor4D];
      if (this.#end > start + size) parts.push(this.#slice(open, start + size - this.#start, this.#end - start - size));
      if (start + size > this.#end) parts.push(this.#slice(band, overlap, size - overlap));
      const merged = parts.length === 1 ? parts[0]! : tf.concat(parts, this.#axis);
      return [start > this.#start ? this.#slice(open, 0, start - this.#start) : undefined, merged] as const;
    });
    tf.dispose([open, band]);
    if (finished !== undefined) this.#setAside(tf.keep(finished));
    this.#open = tf.keep(next);
    this.#start = start;
    this.#end = end;
  }

  /** Hands what is left over `[0, length)` to the sink (see the constructor). */
  drain(length: number): void {
    if (this.#open !== undefined) this.#setAside(this.#open);
    this.#open = undefined;
    if (this.#next < length && this.#like !== undefined) this.#setAside(this.#zeros(this.#like, length - this.#next));
  }

  /** The sum over `[0, length)`; the caller owns it and this is emptied. */
  finish(length: number): tf.Tensor4D {
    const parts = this.#done.splice(0);
    if (this.#open !== undefined) parts.push(this.#open);
    this.#open = undefined;
    if (parts.length === 0) throw new PipelineInputError('TileAccumulator.finish: no tile was added.');
    if (this.#end < length) parts.push(this.#zeros(parts[0]!, length - this.#end));
    if (parts.length === 1) return parts[0]!;
    const whole = tf.tidy(() => tf.concat(parts, this.#axis));
    tf.dispose(parts);
    return whole;
  }

  /** Frees everything held. */
  dispose(): void {
    tf.dispose([...this.#done.splice(0), ...(this.#open !== undefined ? [this.#open] : [])]);
    this.#open = undefined;
  }

  #slice(x: tf.Tensor4D, begin: number, size: number): tf.Tensor4D {
    const b: [number, number, number, number] = [0, 0, 0, 0];
    const s: [number, number, number, number] = [-1, -1, -1, -1];
    b[this.#axis] = begin;
    s[this.#axis] = size;
    return tf.slice(x, b, s);
  }

  #zeros(like: tf.Tensor4D | readonly number[], size: number): tf.Tensor4D {
    const shape = [...('shape' in like ? like.shape : like)] as [number, number, number, number];
    shape[this.#axis] = size;
    return tf.keep(tf.zeros(shape));
  }
}

/** Throws unless `output` has the tile's size. */
function checkTileOutput(rows: number, cols: number, output: tf.Tensor4D): void {
  if (output.rank !== 4 || output.shape[1] !== rows || output.shape[2] !== cols) {
    throw new PipelineInputError(
      `a tile's output has shape [${output.shape.join(', ')}] but the tile is ${rows}x${cols}; ` +
        'the model must map a tile to exactly its region (check the VAE downsample factor).',
    );
  }
}

/**
 * Sums feathered tile outputs into one NHWC canvas. Tiles must be added row by row (all of
 * row 0, then row 1, ...). Each row is gathered in a strip as tall as a tile and added to
 * the canvas when its row is done; overlapping tiles are summed where they overlap, and
 * stretches no later tile reaches are set aside as they are. Besides the canvas so far, only
 * one strip and one tile are open, and the canvas exists once (it is assembled from its
 * stretches in {@link TileAccumulator.finish}). Because the grid's weights sum to 1 at every
 * pixel, the canvas needs no normalization.
 */
export class TileAccumulator {
  readonly #grid: TileGrid;
  readonly #onRows: ((start: number, rows: tf.Tensor4D) => void) | undefined;
  #canvas: BandSum | undefined;
  #strip: BandSum | undefined;
  #row = -1;

  /**
   * @param grid The output grid (with weights) of a {@link TilePlan}.
   * @param onRows When given, the canvas is never assembled: each stretch of rows goes to
   *   `onRows` (which takes it over) as soon as no later tile can add to it, `start` its first
   *   row, and {@link TileAccumulator.drain} hands over the rest instead of `finish`.
   */
  constructor(grid: TileGrid, onRows?: (start: number, rows: tf.Tensor4D) => void) {
    this.#grid = grid;
    this.#onRows = onRows;
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
    checkTileOutput(rt.size, ct.size, output);
    if (row !== this.#row) this.#flush();
    this.#row = row;
    const weighted = tf.tidy(() => {
      const wy = tf.tensor4d(rt.weights, [1, rt.size, 1, 1]);
      const wx = tf.tensor4d(ct.weights, [1, 1, ct.size, 1]);
      return tf.mul(tf.mul(output, wy), wx) as tf.Tensor4D;
    });
    (this.#strip ??= new BandSum(2)).add(ct.start, tf.keep(weighted));
  }

  /** The blended `[N, height, width, C]` canvas; the caller owns it and the accumulator is emptied. */
  finish(): tf.Tensor4D {
    this.#flush();
    const canvas = this.#canvas;
    if (canvas === undefined) throw new PipelineInputError('TileAccumulator.finish: no tile was added.');
    this.#canvas = undefined;
    this.#row = -1;
    return canvas.finish(this.#grid.height);
  }

  /** With `onRows`: hands the rows not handed over yet to it, and empties the accumulator. */
  drain(): void {
    if (this.#onRows === undefined) throw new PipelineInputError('TileAccumulator.drain needs onRows; use finish() to get the canvas.');
    this.#flush();
    this.#canvas?.drain(this.#grid.height);
    this.#canvas = undefined;
    this.#row = -1;
  }

  /** Frees partial results (after an error or abort). */
  dispose(): void {
    this.#strip?.dispose();
    this.#canvas?.dispose();
    this.#strip = undefined;
    this.#canvas = undefined;
  }

  #flush(): void {
    const strip = this.#strip;
    if (strip === undefined) return;
    this.#strip = undefined;
    const rt = this.#grid.rows[this.#row]!;
    (this.#canvas ??= new BandSum(1, this.#onRows)).add(rt.start, tf.keep(strip.finish(this.#grid.width)));
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
 * A plan of one tile: its output is the result (its weights are all exactly 1), with no
 * weighting or padding copies.
 */
function produceWhole(plan: TilePlan, produce: (region: TileRegion) => tf.Tensor4D): tf.Tensor4D {
  const out = tf.tidy(() => produce(tileRegions(plan)[0]!));
  try {
    checkTileOutput(plan.output.height, plan.output.width, out);
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}

/**
 * Runs `produce` on every tile and blends the outputs (synchronous; for contracts that
 * cannot await). `produce` returns a new tensor, freed here; it runs inside `tf.tidy`. A plan
 * of one tile returns that tile's output as it is.
 * @returns The blended `[N, output.height, output.width, C]`; caller owns it.
 */
export function blendTilesSync(plan: TilePlan, produce: (region: TileRegion) => tf.Tensor4D): tf.Tensor4D {
  if (plan.count === 1) return produceWhole(plan, produce);
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
  if (plan.count === 1) {
    const [region] = tileRegions(plan);
    await hooks.beforeTile?.(region!, 1);
    const out = produceWhole(plan, produce);
    try {
      hooks.afterTile?.(region!, 1);
    } catch (error) {
      out.dispose();
      throw error;
    }
    return out;
  }
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

/**
 * {@link blendTiles} without the canvas: each stretch of blended rows goes to `onRows` (which
 * takes it over; `start` is its first row) as soon as no later tile can add to it, in order
 * from the top. For consumers that work row by row on the result, such as an elementwise
 * scheduler step: they never hold the whole blend. A plan of one tile hands over its output.
 * Leak-free when `produce`, `onRows` or a hook throws.
 */
export async function blendTileRows(
  plan: TilePlan,
  produce: (region: TileRegion) => tf.Tensor4D,
  onRows: (start: number, rows: tf.Tensor4D) => void,
  hooks: TileLoopHooks = {},
): Promise<void> {
  if (plan.count === 1) {
    onRows(0, await blendTiles(plan, produce, hooks));
    return;
  }
  const acc = new TileAccumulator(plan.output, onRows);
  try {
    for (const region of tileRegions(plan)) {
      await hooks.beforeTile?.(region, plan.count);
      tf.tidy(() => acc.add(region.row, region.col, produce(region)));
      hooks.afterTile?.(region, plan.count);
    }
    acc.drain();
  } catch (error) {
    acc.dispose();
    throw error;
  }
}
