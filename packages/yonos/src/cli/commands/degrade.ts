import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { YonosError } from '@yonos/core';
import { DEFAULT_MODEL_SCALE } from '@yonos/sampler';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { checkNoOverwrite, outputName, pairLayout } from '../degrade/layout.js';
import { listImages } from '../degrade/list-images.js';
import { createDegradation, PIPELINES } from '../degrade/pipelines.js';
import { writePair } from '../degrade/write-pair.js';
import { CliUsageError, oneLine, PartialFailureError } from '../errors.js';
import { globalOptions } from '../backend.js';
import { writeLine } from '../io.js';
import type { CliContext } from '../program.js';
import { createProgress } from '../progress.js';
import { scaleOption } from '../scale-option.js';

const optionsSchema = z.object({
  out: z.string().min(1, { error: '--out needs a folder name' }),
  scale: scaleOption,
  pipeline: z.enum(PIPELINES),
  seed: z.coerce
    .number({ error: '--seed must be a number' })
    .int({ error: '--seed must be a whole number' })
    .min(0, { error: '--seed must be >= 0' })
    .max(Number.MAX_SAFE_INTEGER, { error: `--seed must be at most ${Number.MAX_SAFE_INTEGER}` }),
});

/** The validated options of `yonos degrade`. */
export type DegradeOptions = z.infer<typeof optionsSchema>;

/** Validates the raw option strings. @throws {@link CliUsageError} naming the option and the values it takes. */
export function parseDegradeOptions(raw: Record<string, unknown>): DegradeOptions {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(`${issue?.message ?? 'invalid options'} (got ${JSON.stringify(raw[String(issue?.path[0])])}).`);
  }
  return parsed.data;
}

/** Output names that two inputs would share (`a.png` and `a.jpg` both make `a.png`): every input but the first of each name. */
function collidingInputs(images: readonly string[]): Map<string, string> {
  const firstByName = new Map<string, string>();
  const collisions = new Map<string, string>();
  for (const image of images) {
    const name = outputName(image);
    const first = firstByName.get(name);
    if (first === undefined) {
      firstByName.set(name, image);
    } else {
      collisions.set(image, first);
    }
  }
  return collisions;
}

/** Runs `yonos degrade` once its arguments are parsed. */
async function runDegrade(folder: string, options: DegradeOptions, command: Command, context: CliContext): Promise<void> {
  const { io } = context;
  const verbose = globalOptions(command).verbose === true;
  const { images, ignored } = await listImages(folder);
  if (images.length === 0) {
    throw new CliUsageError(`No PNG, JPEG or WebP images in '${folder}'${ignored > 0 ? ` (${ignored} other entries ignored)` : ''}: pass the folder that holds the HR images.`);
  }
  const layout = pairLayout(options.out, options.scale);
  await checkNoOverwrite(folder, layout);
  await mkdir(layout.hrDir, { recursive: true });
  await mkdir(layout.lrDir, { recursive: true });
  const backend = await context.activateBackend(command);
  const degradation = createDegradation(options.pipeline);
  const collisions = collidingInputs(images);

  const failures: string[] = [];
  const progress = createProgress(io.stderr, images.length, `degrade x${options.scale}`);
  try {
    for (const image of images) {
      const name = basename(image);
      try {
        const first = collisions.get(image);
        if (first !== undefined) {
          throw new CliUsageError(`its output name ${outputName(image)} is already taken by '${basename(first)}'; rename one of them`);
        }
        await writePair(image, { layout, scale: options.scale, degradation, seed: options.seed });
      } catch (err) {
        failures.push(name);
        const why = oneLine(err instanceof Error ? err.message : String(err));
        progress.log(`warning: skipped '${name}': ${why}${err instanceof YonosError ? '' : ' (unexpected: rerun with --verbose for details)'}`);
        if (verbose && err instanceof Error && err.stack !== undefined) {
          progress.log(err.stack);
        }
      }
      progress.increment(name);
    }
  } finally {
    progress.stop();
  }

  const written = images.length - failures.length;
  writeLine(
    io.stdout,
    `Wrote ${written} LR/HR pair${written === 1 ? '' : 's'} to ${options.out} (hr/, lr_x${options.scale}/): ` +
      `scale ${options.scale}, ${options.pipeline}, seed ${options.seed}, backend ${backend.name}.`,
  );
  if (failures.length > 0) {
    throw new PartialFailureError(
      `${failures.length} of ${images.length} images failed (${failures.join(', ')}; reasons above). ` +
        'Fix or remove them and rerun: the other pairs are reproduced exactly.',
    );
  }
}

/**
 * Adds `yonos degrade <hr-folder> --out <folder>`: LR/HR training pairs from a folder of HR
 * images, `<out>/hr/<name>.png` (the image cropped to a multiple of the scale) and
 * `<out>/lr_x<scale>/<name>.png`. Each image is degraded with its own generator (the seed
 * forked by file name), so reruns reproduce every pair; a bad image is reported and skipped.
 */
export function registerDegradeCommand(program: Command, context: CliContext): Command {
  return program
    .command('degrade')
    .description('write LR/HR training pairs from a folder of HR images (PNG, JPEG, WebP)')
    .argument('<hr-folder>', 'folder of HR images (not searched recursively)')
    .requiredOption('-o, --out <folder>', 'output folder: writes <out>/hr/<name>.png and <out>/lr_x<scale>/<name>.png')
    .option('-s, --scale <n>', 'downscaling factor', String(DEFAULT_MODEL_SCALE))
    .addOption(new Option('-p, --pipeline <name>', 'degradation: MATLAB bicubic or Real-ESRGAN second-order').choices([...PIPELINES]).default('bicubic'))
    .option('--seed <n>', 'seed; each image uses this seed forked by its file name', '0')
    .action(async (folder: string, raw: Record<string, unknown>, command: Command) => {
      await runDegrade(folder, parseDegradeOptions(raw), command, context);
    });
}
