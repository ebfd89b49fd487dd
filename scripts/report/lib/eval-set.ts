import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../../data/lib/files.js';
import { ReportError } from './errors.js';

/** The HR folder of an eval set. */
export function hrDir(evalDir: string): string {
  return join(evalDir, 'hr');
}

/** The LR folder of an eval set for one scale. */
export function lrDir(evalDir: string, scale: number): string {
  return join(evalDir, `lr_x${scale}`);
}

/**
 * Names (file names without `.png`) of the eval images, in code-point order, checked to have
 * an LR image at every scale.
 * @throws {@link ReportError} if the HR folder is missing or empty, or an LR image is missing.
 */
export async function listEvalImages(evalDir: string, scales: readonly number[]): Promise<string[]> {
  const hr = hrDir(evalDir);
  if (!exists(hr)) throw new ReportError(`No ${hr}: make the eval set first (npx tsx --conditions=source scripts/data/make-eval-set.ts).`);
  const names = (await readdir(hr))
    .filter((f) => f.endsWith('.png'))
    .map((f) => f.slice(0, -4))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new ReportError(`${hr} holds no PNG image: make the eval set first (scripts/data/make-eval-set.ts).`);
  for (const scale of scales) {
    const missing = names.filter((n) => !exists(join(lrDir(evalDir, scale), `${n}.png`)));
    if (missing.length > 0) {
      throw new ReportError(`${lrDir(evalDir, scale)} lacks ${missing.join(', ')}: remake the eval set with --scales including ${scale}.`);
    }
  }
  return names;
}
