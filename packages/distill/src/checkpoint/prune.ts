import { CheckpointError } from '../errors.js';
import { listCheckpoints } from './find.js';
import { removeTree } from './fs-utils.js';

/**
 * Deletes all but the `keepLast` complete checkpoints with the highest steps (and any step in
 * `options.keep`). Each is renamed away before deletion, so none is ever left half-deleted
 * under its name.
 * @returns The steps deleted.
 * @throws {@link CheckpointError} unless `keepLast` is a positive integer.
 */
export async function pruneCheckpoints(dir: string, keepLast: number, options: { readonly keep?: readonly number[] } = {}): Promise<number[]> {
  if (!Number.isInteger(keepLast) || keepLast < 1) {
    throw new CheckpointError(`pruneCheckpoints: keepLast must be a positive integer, got ${keepLast}.`);
  }
  const all = await listCheckpoints(dir);
  const keep = new Set(options.keep ?? []);
  const doomed = all.slice(0, Math.max(0, all.length - keepLast)).filter((c) => !keep.has(c.step));
  for (const c of doomed) await removeTree(c.path);
  return doomed.map((c) => c.step);
}
