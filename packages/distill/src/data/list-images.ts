import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { DatasetError } from '../errors.js';

/** Extensions {@link listImageFiles} picks up by default (compared case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp'];

/** Options of {@link listImageFiles}. */
export interface ListImagesOptions {
  /** Extensions to keep, with the dot (default {@link IMAGE_EXTENSIONS}). */
  readonly extensions?: readonly string[];
  /** Descend into subfolders (default `true`). Hidden entries (names starting with `.`) are skipped. */
  readonly recursive?: boolean;
}

/** Code-point order: the same on every machine and locale, unlike `localeCompare`. */
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The image files under `root`, as `/`-separated paths relative to it, sorted by code
 * point, so a seed picks the same files on every machine. Symbolic links are followed.
 * @throws {@link DatasetError} if `root` is not a readable folder.
 */
export async function listImageFiles(root: string, options: ListImagesOptions = {}): Promise<string[]> {
  const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
  const recursive = options.recursive ?? true;
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (cause) {
      throw new DatasetError(`Cannot list image folder ${dir}: ${(cause as Error).message}; pass an existing, readable folder.`, {
        cause,
      });
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir && recursive) await visit(path);
      else if (isFile && extensions.has(extname(entry.name).toLowerCase())) out.push(relative(root, path).split(sep).join('/'));
    }
  };
  await visit(root);
  return out.sort(compareCodePoints);
}
