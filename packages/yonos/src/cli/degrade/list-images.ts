import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { CliUsageError } from '../errors.js';

/** File extensions `yonos degrade` reads (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp'];

/** The images of a folder. */
export interface ImageListing {
  /** Absolute paths of the image files directly in the folder, sorted by file name. */
  readonly images: readonly string[];
  /** Entries skipped because they are not image files (other extensions, sub-folders). */
  readonly ignored: number;
  /** Absolute paths of the skipped files (not sub-folders) whose name does not start with a dot, sorted. */
  readonly otherFiles: readonly string[];
}

/**
 * Lists the PNG, JPEG and WebP files directly inside `folder` (not recursively, so an output
 * folder placed inside it is never read back as input).
 * @throws {@link CliUsageError} if the folder cannot be read.
 */
export async function listImages(folder: string): Promise<ImageListing> {
  const dir = resolve(folder);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new CliUsageError(`Cannot read the input folder '${folder}' (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}): pass an existing folder of PNG, JPEG or WebP images.`, { cause });
  }
  const images: string[] = [];
  const otherFiles: string[] = [];
  let ignored = 0;
  for (const entry of entries) {
    const file = entry.isFile() || entry.isSymbolicLink();
    if (file && IMAGE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) {
      images.push(join(dir, entry.name));
    } else {
      ignored++;
      if (file && !entry.name.startsWith('.')) otherFiles.push(join(dir, entry.name));
    }
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  images.sort(byName);
  otherFiles.sort(byName);
  return { images, ignored, otherFiles };
}
