import { basename } from 'node:path';
import { YonosError } from '@yonos/core';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliUsageError, oneLine, PartialFailureError } from '../errors.js';
import { pairImages } from '../eval/pairs.js';
import { scoreFiles } from '../eval/score.js';
import { evalTable, meanScore } from '../eval/table.js';
import type { EvalRow } from '../eval/table.js';
import { writeLine } from '../io.js';
import type { CliContext } from '../program.js';
import { scaleOption } from '../scale-option.js';

const optionsSchema = z.object({
  hr: z.string().min(1, { error: '--hr needs a folder' }),
  sr: z.string().min(1, { error: '--sr needs a folder' }),
  scale: scaleOption,
  cropBorder: z.coerce
    .number({ error: '--crop-border must be a number' })
    .int({ error: '--crop-border must be a whole number' })
    .min(0, { error: '--crop-border must be >= 0' })
    .optional(),
  rgb: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** The validated options of `yonos eval`. */
export type EvalOptions = z.infer<typeof optionsSchema>;

/** Validates the raw option strings. @throws {@link CliUsageError} naming the option and the values it takes. */
export function parseEvalOptions(raw: Record<string, unknown>): EvalOptions {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(`${issue?.message ?? 'invalid options'} (got ${JSON.stringify(raw[String(issue?.path[0])])}).`);
  }
  return parsed.data;
}

/** A scored image with its files, as `--json` prints it. */
interface JsonRow extends EvalRow {
  readonly hr: string;
  readonly sr: string;
}

/** Runs `yonos eval` once its options are parsed. */
async function runEval(options: EvalOptions, context: CliContext, verbose: boolean): Promise<void> {
  const { io } = context;
  const cropBorder = options.cropBorder ?? options.scale;
  const channel = options.rgb === true ? 'rgb' : 'y';
  const metric = { cropBorder, testYChannel: channel === 'y', channelOrder: 'rgb' } as const;
  const { pairs, unusedSr } = await pairImages(options.hr, options.sr, options.scale);
  if (pairs.length === 0) {
    throw new CliUsageError(`No PNG, JPEG or WebP images in the HR folder '${options.hr}': pass the folder of ground-truth images as --hr.`);
  }
  const rows: JsonRow[] = [];
  const failed: { name: string; reason: string }[] = [];
  for (const pair of pairs) {
    try {
      if (pair.sr === undefined) throw new CliUsageError(pair.problem ?? 'no SR image');
      rows.push({ name: pair.name, hr: pair.hr, sr: pair.sr, ...(await scoreFiles(pair.sr, pair.hr, metric)) });
    } catch (err) {
      const reason = oneLine(err instanceof Error ? err.message : String(err));
      failed.push({ name: pair.name, reason });
      writeLine(io.stderr, `warning: skipped '${pair.name}': ${reason}${err instanceof YonosError ? '' : ' (unexpected: rerun with --verbose for details)'}`);
      if (verbose && err instanceof Error && err.stack !== undefined) writeLine(io.stderr, err.stack);
    }
  }
  if (unusedSr.length > 0) {
    writeLine(io.stderr, `note: ${unusedSr.length} SR image${unusedSr.length === 1 ? '' : 's'} matched no HR image and ${unusedSr.length === 1 ? 'was' : 'were'} not scored (${unusedSr.map((p) => basename(p)).join(', ')}).`);
  }
  if (rows.length === 0) {
    throw new PartialFailureError(`No image could be scored (all ${pairs.length} failed; reasons above): check that --sr holds the SR images of --hr.`);
  }
  if (options.json === true) {
    const report = { metric: { channel, cropBorder, scale: options.scale }, images: rows, mean: meanScore(rows), failed };
    // JSON has no Infinity, the PSNR of identical images.
    writeLine(io.stdout, JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2));
  } else {
    for (const line of evalTable(rows, { channel, cropBorder })) writeLine(io.stdout, line);
  }
  if (failed.length > 0) {
    throw new PartialFailureError(`${failed.length} of ${pairs.length} images could not be scored (${failed.map((f) => f.name).join(', ')}; reasons above); the mean covers the other ${rows.length}.`);
  }
}

/**
 * Adds `yonos eval --hr <dir> --sr <dir> --scale N [--crop-border N] [--rgb] [--json]`: a
 * PSNR/SSIM table of SR images against their HR images with core's BasicSR-exact metrics, by
 * default on the Y channel with `scale` pixels cropped from each edge, as SR papers report.
 * SR images are matched by name: `<name>.<ext>` or `<name>_x<scale>.<ext>`.
 */
export function registerEvalCommand(program: Command, context: CliContext): Command {
  return program
    .command('eval')
    .description('PSNR/SSIM table of super-resolved images against their HR images (BasicSR definitions)')
    .requiredOption('--hr <folder>', 'ground-truth images (PNG, JPEG, WebP directly inside)')
    .requiredOption('--sr <folder>', 'super-resolved images, named <name>.<ext> or <name>_x<scale>.<ext> after their HR image')
    .requiredOption('-s, --scale <n>', 'the upscaling factor: sets the crop border and the _x<scale> names')
    .option('--crop-border <n>', 'pixels cropped from each edge before measuring (default: the scale)')
    .option('--rgb', 'measure all RGB channels instead of the Y (luma) channel')
    .option('--json', 'print every score as JSON')
    .action(async (raw: Record<string, unknown>, command: Command) => {
      await runEval(parseEvalOptions(raw), context, command.optsWithGlobals<{ verbose?: boolean }>().verbose === true);
    });
}
