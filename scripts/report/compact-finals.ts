/**
 * Rewrites the recipe's finished stage outputs (`training/recipe/.../final`) with float16
 * weights, in place, before they are committed: half the repository bytes, and they load back
 * as float32 like the bundled model. Already-float16 folders are rewritten unchanged.
 *
 *   npx tsx --conditions=source scripts/report/compact-finals.ts [--folders a,b,...]
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { useBackend } from 'yonos';
import { parseFlags } from '../data/lib/args.js';
import { saveFloat16Copy } from './lib/float16-copy.js';

const STAGE_FINALS = [
  'direct-x4/final',
  'direct-x8/final',
  'distill/final/x4',
  'distill/final/x8',
  'decoder-x4/final',
  'decoder-x8/final',
].map((f) => `training/recipe/${f}`);

const USAGE = 'Usage: npx tsx --conditions=source scripts/report/compact-finals.ts [--folders a,b,...]';
const FLAGS = [
  { name: 'folders', help: 'pipeline folders, relative to the repository root (missing ones are skipped)', default: STAGE_FINALS.join(',') },
] as const;

const root = resolve(import.meta.dirname, '../..');
const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
if (flags !== undefined) await useBackend('cpu');
for (const folder of flags?.['folders']?.split(',') ?? []) {
  const dir = resolve(root, folder);
  if (!existsSync(resolve(dir, 'model_index.json'))) {
    console.log(`${folder}: no pipeline folder yet, skipped`);
    continue;
  }
  await saveFloat16Copy(dir, dir);
  console.log(`${folder}: float16`);
}
