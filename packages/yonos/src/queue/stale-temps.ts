import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isTemporaryFileOf } from '../cli/upscale/output-files.js';

/**
 * Removes the temporary files an earlier run of a job left next to its output: a worker killed
 * while writing (SIGKILL, a lost machine) cannot clean up after itself. Called only for a job
 * that was started before and not finished.
 * @returns How many were removed.
 */
export async function removeStaleTemporaryFiles(output: string): Promise<number> {
  const names = await readdir(dirname(output)).catch(() => [] as string[]);
  const stale = names.filter((name) => isTemporaryFileOf(name, basename(output)));
  await Promise.all(stale.map((name) => rm(join(dirname(output), name), { force: true })));
  return stale.length;
}
