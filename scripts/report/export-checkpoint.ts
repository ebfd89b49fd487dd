/**
 * Writes a training checkpoint of an SR run (`yonos train sr`, a direct baseline) as a
 * `YonosPipeline` folder, so an unfinished campaign stage can be scored like a finished one
 * (`yonos upscale --model`, run-report.ts): the config's VAE and scheduler, the checkpoint's
 * U-Net with its EMA weights (what validation and the final folder use) or its raw weights.
 *
 *   npx tsx --conditions=source scripts/report/export-checkpoint.ts \
 *     --config examples/configs/recipe2/sr-x2-s08.json --out runs/teacher-2000 [--checkpoint <dir>] [--weights ema|raw]
 */
import { createRng, useBackend } from '@yonos/core';
import { Ema, findLatestCheckpoint, loadCheckpoint, readTrainConfig } from '@yonos/distill';
import { parseFlags, stringFlag } from '../data/lib/args.js';
import { loadPipelineModels } from '../../packages/yonos/src/train/models.js';
import { writePipelineFolder } from '../../packages/yonos/src/train/output.js';

const USAGE = 'Usage: npx tsx --conditions=source scripts/report/export-checkpoint.ts --config <sr config> --out <folder> [--checkpoint <dir>] [--weights ema|raw]';
const FLAGS = [
  { name: 'config', help: 'the `yonos train sr` config of the run (required)', default: '' },
  { name: 'out', help: 'pipeline folder to write (replaced; required)', default: '' },
  { name: 'checkpoint', help: 'a checkpoint folder (default: the latest in the config\'s checkpoint.dir)', default: '' },
  { name: 'weights', help: 'ema (default) or raw', default: 'ema' },
];

const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
if (flags !== undefined) {
  if (flags['config'] === '' || flags['out'] === '') throw new Error(USAGE);
  const config = await readTrainConfig('sr', stringFlag(flags, 'config'));
  const weights = stringFlag(flags, 'weights');
  if (weights !== 'ema' && weights !== 'raw') throw new Error(`--weights must be ema or raw, got ${weights}`);
  let checkpoint = flags['checkpoint'] ?? '';
  if (checkpoint === '') {
    const latest = await findLatestCheckpoint(config.checkpoint.dir);
    if (latest === undefined) throw new Error(`no checkpoint in ${config.checkpoint.dir}`);
    checkpoint = latest.path;
  }
  await useBackend('cpu');
  const models = await loadPipelineModels(config, createRng(config.seed));
  try {
    const ema = new Ema(models.unet);
    try {
      const loaded = await loadCheckpoint(checkpoint, { models: { unet: models.unet }, ...(weights === 'ema' ? { ema } : {}) });
      if (weights === 'ema') ema.copyTo(models.unet);
      const out = stringFlag(flags, 'out');
      await writePipelineFolder(out, { vae: models.vae, unet: models.unet, scheduler: models.scheduler, scale: config.scale, residual: config.residual });
      console.log(`wrote ${out}: ${weights} weights of ${checkpoint} (step ${loaded.step}), x${config.scale}${config.residual ? ', residual' : ''}`);
    } finally {
      ema.dispose();
    }
  } finally {
    models.dispose();
  }
}
