import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

/**
 * Files under `root` whose extension (case-insensitive, with the dot) is in `extensions`,
 * as `/`-separated paths relative to `root`, in code-point order (locale-independent, so a
 * seed visits them in the same order everywhere). Symbolic links are not followed.
 */
export async function listFiles(root: string, extensions: readonly string[]): Promise<string[]> {
  const wanted = new Set(extensions.map((e) => e.toLowerCase()));
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile() && wanted.has(extname(entry.name).toLowerCase())) out.push(relative(root, path).split(sep).join('/'));
    }
  };
  await visit(root);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Makes `dir` (and parents) and deletes the files a previous run of a script wrote there:
 * those with one of `extensions` and the named extra files. Other files are left alone.
 */
export async function prepareOutputFolder(dir: string, extensions: readonly string[], extraNames: readonly string[] = []): Promise<void> {
  await mkdir(dir, { recursive: true });
  const wanted = new Set(extensions.map((e) => e.toLowerCase()));
  for (const name of await readdir(dir)) {
    if (wanted.has(extname(name).toLowerCase()) || extraNames.includes(name)) await rm(join(dir, name));
  }
}

/** Total size in bytes of the given files. */
export async function totalBytes(paths: readonly string[]): Promise<number> {
  let sum = 0;
  for (const p of paths) sum += (await stat(p)).size;
  return sum;
}

/** Hex SHA-256 of a file's bytes (recorded in manifests so a rerun can be checked byte for byte). */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** True if `path` exists. */
export function exists(path: string): boolean {
  return existsSync(path);
}

/** `bytes` as mebibytes with one decimal, for logs. */
export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
