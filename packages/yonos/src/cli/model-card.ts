import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The folder the bundled pretrained model is shipped in: `model/` at the root of the `yonos`
 * package (a diffusers pipeline folder with `model_index.json`, its card in `README.md`).
 * The same path from `src/cli` and `dist/cli`.
 */
export function bundledModelDir(): string {
  return fileURLToPath(new URL('../../model/', import.meta.url));
}

/** The bundled model's card (`model/README.md`), or `undefined` while no model is bundled. */
export function readBundledModelCard(dir: string = bundledModelDir()): string | undefined {
  const card = `${dir.replace(/\/$/, '')}/README.md`;
  return existsSync(card) ? readFileSync(card, 'utf8') : undefined;
}
