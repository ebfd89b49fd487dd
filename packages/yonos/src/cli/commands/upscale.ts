import { mkdir } from 'node:fs/promises';
import { YonosPipeline } from '@yonos/sampler';
import { type Command, Option } from 'commander';
import { registerPretrainedClasses } from '../../register.js';
import { globalOptions } from '../backend.js';
import { CliUsageError, PartialFailureError } from '../errors.js';
import { writeLine } from '../io.js';
import type { CliContext } from '../program.js';
import { displayPath, runBatch } from '../upscale/batch.js';
import type { BatchResult } from '../upscale/batch.js';
import { collectInputs } from '../upscale/inputs.js';
import { UpscaleInterruptedError, watchInterrupt } from '../upscale/interrupt.js';
import { chooseScale, readModelIndex, resolveModelDir } from '../upscale/model.js';
import { parseUpscaleOptions } from '../upscale/options.js';
import type { UpscaleOptions } from '../upscale/options.js';
import { checkOutputFolder, OUTPUT_FORMATS, planOutputs } from '../upscale/output-plan.js';
import { createUpscaleProgress } from '../upscale/progress.js';
import { tileOptions } from '../upscale/tile.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Runs `yonos upscale` once its arguments are parsed. */
async function runUpscale(args: readonly string[], options: UpscaleOptions, command: Command, context: CliContext): Promise<void> {
  const { io } = context;
  const verbose = globalOptions(command).verbose === true;
  // Everything cheap is checked before the backend starts and the weights load.
  const modelDir = resolveModelDir(options.model, { scale: options.scale, bundled: context.bundledModelRoot });
  const scale = chooseScale(options.scale, await readModelIndex(modelDir), modelDir);
  const listing = await collectInputs(args);
  for (const { argument, reason } of listing.unmatched) writeLine(io.stderr, `warning: skipped '${argument}': ${reason}`);
  if (listing.images.length === 0) {
    throw new CliUsageError(`No image to upscale in ${args.map((a) => `'${a}'`).join(', ')}: pass PNG, JPEG or WebP files, folders that hold them, or patterns such as 'photos/*.png'.`);
  }
  await checkOutputFolder(options.out, listing.folders);
  const jobs = await planOutputs(listing.images, { outDir: options.out, scale, ...(options.format !== undefined ? { format: options.format } : {}) });
  await mkdir(options.out, { recursive: true });

  const backend = await context.activateBackend(command);
  registerPretrainedClasses();
  const pipeline = await YonosPipeline.fromPretrained(modelDir);
  let result: BatchResult;
  try {
    const tile = tileOptions(options.tile, pipeline);
    const progress = createUpscaleProgress(io.stderr, jobs.length, `upscale x${scale}`);
    const interrupt = watchInterrupt(() => progress.log('Interrupted: stopping the current image (press Ctrl-C again to kill).'));
    try {
      result = await runBatch(pipeline, jobs, {
        settings: { scale, steps: options.steps, seed: options.seed, quality: options.quality, ...(tile !== undefined ? { tile } : {}) },
        progress,
        signal: interrupt.signal,
        verbose,
      });
    } finally {
      interrupt.dispose();
      progress.stop();
    }
  } finally {
    pipeline.dispose();
  }

  const written = result.written.length;
  writeLine(
    io.stdout,
    `Upscaled ${plural(written, 'image')} x${scale} into ${displayPath(options.out)}: ` +
      `steps ${options.steps}, seed ${options.seed}, backend ${backend.name}, model ${displayPath(modelDir)}.`,
  );
  const failed = [...listing.unmatched.map((u) => u.argument), ...result.failed];
  const failures = failed.length > 0 ? ` ${plural(failed.length, 'input')} failed (${failed.join(', ')}; reasons above).` : '';
  if (result.interruptedAt !== undefined) {
    throw new UpscaleInterruptedError(
      `Interrupted (Ctrl-C) at '${result.interruptedAt}': ${written} of ${jobs.length} images written.${failures} Rerun the same command to redo the rest (outputs are reproduced exactly).`,
    );
  }
  if (failed.length > 0) {
    throw new PartialFailureError(`${failed.length} of ${jobs.length + listing.unmatched.length} inputs failed (${failed.join(', ')}; reasons above). Fix or remove them and rerun: the other images are reproduced exactly.`);
  }
}

/**
 * Adds `yonos upscale <inputs...> [-o out] [--scale N] [--steps N] [--tile PX] [--seed N]
 * [--model dir] [--format png|jpeg|webp] [--quality N]`: super-resolves PNG, JPEG and WebP
 * images with a YONOS pipeline folder (default: the model bundled with the package for the
 * scale, `model/x<scale>/`, x4 unless `--scale` says otherwise) into
 * `<out>/<name>_x<scale>.<ext>`. Alpha, gray and 16-bit depth are kept; a bad file is reported
 * and skipped; inputs are never overwritten; Ctrl-C stops cleanly.
 */
export function registerUpscaleCommand(program: Command, context: CliContext): Command {
  return program
    .command('upscale')
    .description('super-resolve PNG, JPEG and WebP images with a YONOS model (alpha, gray and 16-bit are kept)')
    .argument('<inputs...>', 'image files, folders (the images directly inside) or quoted patterns such as "photos/*.png" or "shots/**/*.jpg"')
    .option('-o, --out <folder>', 'output folder: writes <out>/<name>_x<scale>.<ext>', './upscaled')
    .option('-s, --scale <n>', "upscaling factor: picks the bundled model for it (default 4); with --model, must be that model's (default: its model_index.json scale_factor)")
    .option('--steps <n>', 'DDIM denoising steps (YONOS models are made for 1)', '1')
    .option('--tile <px>', "tile edge in output pixels for the VAE and the U-Net, a multiple of the model's VAE factor x latent multiple (64 for SD-sized models); 0 turns tiling off (default: chosen to fit a 1 GiB memory budget)")
    .option('--seed <n>', 'seed of the initial noise: the same seed gives the same bytes', '0')
    .option('-m, --model <folder>', 'YonosPipeline folder (model_index.json, unet/, vae/, scheduler/) (default: the bundled model for --scale, model/x<scale>/ in the yonos package)')
    .addOption(new Option('-f, --format <format>', "output format (default: the input's)").choices([...OUTPUT_FORMATS]))
    .option('-q, --quality <n>', 'JPEG and WebP quality, 1-100', '95')
    .configureHelp({ showGlobalOptions: true })
    .action(async (inputs: string[], raw: Record<string, unknown>, command: Command) => {
      await runUpscale(inputs, parseUpscaleOptions(raw), command, context);
    });
}
