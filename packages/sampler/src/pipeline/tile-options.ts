import { checkPositive } from './checks.js';
import { PipelineInputError } from './errors.js';

const MIB = 2 ** 20;
/** The memory budget of a run that gives none, in MiB (both pipelines' `tile.memoryBudgetMB`). */
export const DEFAULT_MEMORY_BUDGET_MB = 1024;
/** The fraction of a tile shared with each neighbour when a run gives none (U-Net and VAE tiles alike). */
export const DEFAULT_TILE_OVERLAP = 0.25;

/** The tile options both pipelines take (`YonosTileOptions`, `UpscaleTileOptions`). */
export interface TileSizeOptions {
  readonly memoryBudgetMB?: number;
  readonly latentTileSize?: number;
  readonly latentOverlap?: number;
  readonly vaeTileSize?: number;
  readonly vaeOverlap?: number;
}

/** The object form of a run's `tile` option (`true`, `false` and `undefined` give no sizes). */
export function tileSizeOptions(tile: boolean | TileSizeOptions | undefined): TileSizeOptions {
  return typeof tile === 'object' ? tile : {};
}

/**
 * The memory budget of a run in bytes (`tile.memoryBudgetMB`, default {@link DEFAULT_MEMORY_BUDGET_MB}).
 * @throws PipelineInputError unless it is a positive number.
 */
export function memoryBudgetBytes(options: TileSizeOptions): number {
  const budget = (options.memoryBudgetMB ?? DEFAULT_MEMORY_BUDGET_MB) * MIB;
  checkPositive(budget, 'tile.memoryBudgetMB');
  return budget;
}

/**
 * Checks a tile size a run gives (`tile.vaeTileSize`, `tile.latentTileSize`).
 * @param multiple What it must be a positive multiple of, described by `of` (e.g. `'the VAE factor'`).
 * @returns `size`.
 * @throws PipelineInputError naming the multiples around it otherwise.
 */
export function checkTileSize(size: number, multiple: number, name: string, of: string): number {
  if (!Number.isInteger(size) || size < multiple || size % multiple !== 0) {
    const below = Number.isFinite(size) ? Math.max(multiple, Math.floor(size / multiple) * multiple) : multiple;
    throw new PipelineInputError(`${name} must be a positive multiple of ${of} ${multiple}; got ${size}: pass a multiple of ${multiple}, e.g. ${below} or ${below + multiple}.`);
  }
  return size;
}
