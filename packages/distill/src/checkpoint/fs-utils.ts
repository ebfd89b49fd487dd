import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TRASH_PREFIX } from './layout.js';

/**
 * Flushes a folder's entries (new names, renames) to disk, so a rename inside it survives
 * a power loss. Best effort: platforms that cannot open folders (Windows) skip it.
 */
export async function fsyncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

/**
 * Deletes a folder tree so that no half-deleted copy keeps its name: it is first renamed to
 * `.trash-<name>-<uuid>` (atomic), then removed. A crash in between leaves only a trash
 * folder, which checkpoint listing ignores and cleans.
 */
export async function removeTree(path: string): Promise<void> {
  const trash = join(dirname(path), `${TRASH_PREFIX}${basename(path)}-${randomUUID()}`);
  await rename(path, trash);
  await fsyncDirectory(dirname(path));
  await rm(trash, { recursive: true, force: true });
}
