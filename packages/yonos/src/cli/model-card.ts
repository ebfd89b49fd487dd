import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledModelRoot } from '../bundled-model.js';

/** The card's file name inside the bundle's root (`model/README.md`). */
export const MODEL_CARD_NAME = 'README.md';

/**
 * The bundled model's card (`model/README.md`, markdown), or `undefined` while no card is bundled.
 * @param root The bundle's root, default `bundledModelRoot()`.
 */
export function readBundledModelCard(root: string = bundledModelRoot()): string | undefined {
  const card = join(root, MODEL_CARD_NAME);
  return existsSync(card) ? readFileSync(card, 'utf8') : undefined;
}
