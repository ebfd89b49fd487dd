/**
 * Copies the recipe's final one-step models into the `yonos` package as its bundled model:
 * `training/recipe/decoder-x<S>/final` -> `packages/yonos/model/x<S>`, weights stored as float16
 * (half the size; they load back as float32). Rerun after retraining; the model card
 * (`packages/yonos/model/README.md`) is written by hand from the report.
 *
 *   npx tsx --conditions=source scripts/report/bundle-model.ts [--scales 4,8]
 */
import { resolve } from 'node:path';
import { useBackend } from 'yonos';
import { integerListFlag, parseFlags } from '../data/lib/args.js';
import { saveFloat16Copy } from './lib/float16-copy.js';

const USAGE = 'Usage: npx tsx --conditions=source scripts/report/bundle-model.ts [--scales 4,8]';
const FLAGS = [{ name: 'scales', help: 'scale factors to bundle', default: '4,8' }] as const;

const root = resolve(import.meta.dirname, '../..');
const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
if (flags !== undefined) await useBackend('cpu');
for (const scale of flags !== undefined ? integerListFlag(flags, 'scales') : []) {
  const from = resolve(root, `training/recipe/decoder-x${scale}/final`);
  const to = resolve(root, `packages/yonos/model/x${scale}`);
  await saveFloat16Copy(from, to);
  console.log(`x${scale}: ${from} -> ${to} (float16)`);
}
