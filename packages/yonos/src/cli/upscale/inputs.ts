import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { IMAGE_EXTENSIONS, listImages } from '../degrade/list-images.js';
import { expandGlob, hasGlobMagic } from './glob.js';

/** A command-line input that gave no image, and why. */
export interface UnmatchedInput {
  readonly argument: string;
  readonly reason: string;
}

/** The images named by the command line's files, folders and patterns. */
export interface InputListing {
  /** Absolute paths, in argument order (sorted within a folder or pattern), each once. */
  readonly images: readonly string[];
  /** Absolute paths of the folders given as arguments (outputs must not go into them). */
  readonly folders: readonly string[];
  /** Arguments that named nothing usable: a missing path, an empty folder, a pattern matching no image. */
  readonly unmatched: readonly UnmatchedInput[];
  /** Entries of folders and pattern matches skipped because they are not PNG, JPEG or WebP files. */
  readonly ignored: number;
  /**
   * Absolute paths of the files among those entries (GIF, TIFF, text...; not sub-folders or
   * hidden files), each once, for the summary to name. Such a file is upscaled only when named
   * on its own.
   */
  readonly unsupported: readonly string[];
}

/** Whether a file name has one of the image extensions (`.png`, `.jpg`, `.jpeg`, `.webp`, any case). */
export function isImageName(path: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(path).toLowerCase());
}

/**
 * Resolves the command line's inputs: a file is taken as given (whatever its extension, since
 * sharp may read it), a folder contributes the PNG, JPEG and WebP files directly inside it (not
 * recursively, so outputs written below it are never read back), and a pattern (`*`, `?`,
 * `**`, see {@link expandGlob}) the image files it matches. Nothing is thrown for a bad
 * argument: it is listed in {@link InputListing.unmatched} for the caller to report.
 */
export async function collectInputs(args: readonly string[]): Promise<InputListing> {
  const images: string[] = [];
  const seen = new Set<string>();
  const folders: string[] = [];
  const unmatched: UnmatchedInput[] = [];
  const unsupported = new Set<string>();
  let ignored = 0;
  const add = (paths: readonly string[]): void => {
    for (const path of paths) {
      if (!seen.has(path)) {
        seen.add(path);
        images.push(path);
      }
    }
  };
  for (const argument of args) {
    const path = resolve(argument);
    let kind: 'file' | 'folder' | 'missing' | 'other';
    try {
      const info = await stat(path);
      kind = info.isDirectory() ? 'folder' : info.isFile() ? 'file' : 'other';
    } catch {
      kind = 'missing';
    }
    if (kind === 'missing' && hasGlobMagic(argument)) {
      const matches = await expandGlob(argument);
      const found = matches.filter(isImageName);
      ignored += matches.length - found.length;
      for (const match of matches) if (!isImageName(match)) unsupported.add(match);
      if (found.length === 0) {
        unmatched.push({ argument, reason: `the pattern matched no PNG, JPEG or WebP file${matches.length > 0 ? ` (${matches.length} other files)` : ''}` });
      }
      add(found);
    } else if (kind === 'folder') {
      folders.push(path);
      const listing = await listImages(path);
      ignored += listing.ignored;
      for (const file of listing.otherFiles) unsupported.add(file);
      if (listing.images.length === 0) {
        unmatched.push({ argument, reason: `the folder holds no PNG, JPEG or WebP image${listing.ignored > 0 ? ` (${listing.ignored} other entries)` : ''}` });
      }
      add(listing.images);
    } else if (kind === 'file') {
      add([path]);
    } else {
      unmatched.push({ argument, reason: kind === 'missing' ? 'no such file or folder' : 'not a file or folder' });
    }
  }
  // A file also named on its own is upscaled, not unsupported.
  return { images, folders, unmatched, ignored, unsupported: [...unsupported].filter((path) => !seen.has(path)) };
}
