import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

/**
 * The canonical form of `path` for comparing two paths: symlinks resolved in the part that
 * exists (outputs may not exist yet), and lower case on platforms whose file systems usually
 * ignore case (macOS, Windows), where `A.png` and `a.png` are one file.
 */
export async function canonicalPath(path: string): Promise<string> {
  const real = await realPathOf(resolve(path));
  return process.platform === 'darwin' || process.platform === 'win32' ? real.toLowerCase() : real;
}

async function realPathOf(abs: string): Promise<string> {
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : resolve(await realPathOf(parent), basename(abs));
  }
}
