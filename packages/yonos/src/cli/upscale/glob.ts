import { resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/**
 * Whether `pattern` uses glob syntax (`*`, `?`, `**`, braces, classes). Shells usually expand
 * patterns themselves; this covers quoted patterns and shells that do not (Windows).
 */
export function hasGlobMagic(pattern: string): boolean {
  return isDynamicPattern(pattern);
}

/**
 * Expands a glob pattern to the files it matches. Hidden files match only patterns that name
 * the dot; relative patterns are resolved against the working directory.
 * @param pattern A path pattern such as `photos/*.png` or `shoots/**\/*.jpg`.
 * @returns Absolute paths of matching files (not folders), sorted, without duplicates.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const files = await glob(pattern.replaceAll('\\', '/'), { absolute: true, onlyFiles: true, dot: false, expandDirectories: false, followSymbolicLinks: false });
  return [...new Set(files.map((f) => resolve(f)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
