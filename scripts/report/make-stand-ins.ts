/**
 * Stand-ins for a dry run of the report before the trained models exist: randomly initialized
 * pipeline folders for every model and scale of report.config.json, and a copy of that config
 * pointing at them, with its SR folders and report inside the output folder (the eval set
 * stays the repository's data/eval). The stand-ins super-resolve nothing; they exercise every
 * phase and, with `--size planned`, time models of the recipe's size.
 *
 *   npx tsx --conditions=source scripts/report/make-stand-ins.ts --out /tmp/report-dry-run [--size tiny|planned] [--steps 1,2,4]
 *   npx tsx --conditions=source scripts/report/run-report.ts --config /tmp/report-dry-run/report.config.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { useBackend } from '@yonos/core/node';
import type { ModelConfig } from '@yonos/core';
import { integerListFlag, parseFlags, stringFlag } from '../data/lib/args.js';
import { DEFAULT_CONFIG } from './lib/cli-args.js';
import { loadReportConfig } from './lib/config.js';
import type { ReportConfigInput } from './lib/config.js';
import { ReportError } from './lib/errors.js';
import { writeTinyPipeline } from './lib/stand-in.js';

const USAGE = 'Usage: npx tsx --conditions=source scripts/report/make-stand-ins.ts --out DIR [flags]';
const FLAGS = [
  { name: 'out', help: 'folder for the stand-in models, config, SR folders and report', default: '' },
  { name: 'config', help: 'the report config to mirror', default: DEFAULT_CONFIG },
  { name: 'size', help: "'tiny' (milliseconds per image) or 'planned' (the recipe's U-Net and VAE: sr-x2.json, vae.json)", default: 'tiny' },
  { name: 'steps', help: 'step counts of the sweep models in the stand-in config (the largest replaces the timing runs above it)', default: '1,2,4' },
];

async function recipeConfig(path: string, role: 'unet' | 'vae'): Promise<ModelConfig> {
  const json = JSON.parse(await readFile(path, 'utf8')) as { models?: Record<string, { config?: ModelConfig }> };
  const config = json.models?.[role]?.config;
  if (config === undefined) throw new ReportError(`${path} has no models.${role}.config.`);
  return config;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags === undefined) return;
  const out = resolve(stringFlag(flags, 'out'));
  const size = stringFlag(flags, 'size');
  if (size !== 'tiny' && size !== 'planned') throw new ReportError(`--size must be 'tiny' or 'planned', got '${size}'.`);
  const steps = integerListFlag(flags, 'steps').sort((a, b) => a - b);
  const configPath = resolve(stringFlag(flags, 'config'));
  const base = await loadReportConfig(configPath);
  const raw = JSON.parse(await readFile(configPath, 'utf8')) as ReportConfigInput;
  const repo = resolve(configPath, '..', '..', '..');
  const configs =
    size === 'planned'
      ? { unet: await recipeConfig(join(repo, 'examples/configs/recipe/sr-x2.json'), 'unet'), vae: await recipeConfig(join(repo, 'examples/configs/recipe/vae.json'), 'vae') }
      : {};
  await useBackend('cpu');
  const models: ReportConfigInput['models'] = {};
  let seed = 1;
  for (const [name, model] of Object.entries(base.models)) {
    const folders: Record<string, string> = {};
    for (const key of Object.keys(model.folders)) {
      folders[key] = `models/${name}-${key}`;
      await writeTinyPipeline(join(out, folders[key]), Number(key.slice(1)), seed++, configs);
    }
    models[name] = { ...raw.models[name]!, folders, steps: model.steps.length > 1 ? steps : model.steps };
  }
  const maxSteps = steps.at(-1)!;
  const config: ReportConfigInput = {
    ...raw,
    description: `Stand-in (${size}, random weights) dry run of ${configPath}.`,
    eval: base.eval,
    sr: 'sr',
    output: 'report',
    models,
    esrgan: { ...raw.esrgan, script: base.esrgan.script },
    timing: { ...raw.timing, runs: raw.timing.runs.map((r) => ({ ...r, steps: Math.min(r.steps, maxSteps) })) },
  };
  await writeFile(join(out, 'report.config.json'), JSON.stringify(config, null, 2) + '\n');
  console.log(`stand-ins (${size}) in ${out}; run: npx tsx --conditions=source scripts/report/run-report.ts --config ${join(out, 'report.config.json')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ReportError ? `error: ${error.message}` : error);
  process.exit(1);
});
