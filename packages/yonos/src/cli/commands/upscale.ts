import { basename, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { UPSCALER_SCHEDULES } from '@yonos/distill';
import { DEFAULT_MODEL_SCALE } from '@yonos/sampler';
import { globalOptions } from '../backend.js';
import { CliUsageError, PartialFailureError } from '../errors.js';
import { writeLine } from '../io.js';
import type { CliContext } from '../program.js';
import { displayPath, runBatch } from '../upscale/batch.js';
import type { BatchResult } from '../upscale/batch.js';
import { collectInputs } from '../upscale/inputs.js';
import { UpscaleInterruptedError, watchInterrupt } from '../upscale/interrupt.js';
import { jobWork, measureJobs } from '../upscale/measure.js';
import { loadModel } from '../upscale/load-model.js';
import { chooseScale, isModelUrl, resolveModelDir } from '../upscale/model.js';
import { readModelFolder } from '../upscale/model-folder.js';
import { parseUpscaleOptions } from '../upscale/options.js';
import type { UpscaleOptions } from '../upscale/options.js';
import { BatchStoppedError, prepareOutputFolder } from '../upscale/output-files.js';
import type { OutputWriteError } from '../upscale/output-files.js';
import { checkOutputFolder, OUTPUT_FORMATS, planOutputs } from '../upscale/output-plan.js';
import type { UpscaleJob } from '../upscale/output-plan.js';
import { createUpscaleProgress, PROGRESS_MODES } from '../upscale/progress.js';
import type { BatchOutcome } from '../upscale/progress.js';
import { checkModelOptions } from '../upscale/upscaler-options.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `a, b, c and 4 more`. */
function nameList(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/**
 * How to finish a batch that ended early, given that a rerun keeps existing outputs unless
 * `--overwrite` is given: the sentence after "written." in the interrupt and stop messages.
 */
export function rerunAdvice(overwrite: boolean, written: number, notDone: readonly UpscaleJob[]): string {
  const n = notDone.length;
  if (!overwrite) {
    return written > 0
      ? `Rerun the same command to upscale the remaining ${n}: the ${written} written are kept and skipped, and the result is the same as one uninterrupted run.`
      : `Rerun the same command to upscale the remaining ${n}.`;
  }
  const old = notDone.filter((job) => job.replaces === true);
  if (old.length === 0) {
    return `Rerun without --overwrite to upscale only the remaining ${n} (the ${written} written now are kept), or with --overwrite to redo everything.`;
  }
  return (
    `Rerun the same command (with --overwrite) to redo every image; without --overwrite only the ${n - old.length} remaining with no output would be upscaled, ` +
    `and ${plural(old.length, 'old output')} not replaced yet would stay as they are (${nameList(old.map((job) => basename(job.output)))}).`
  );
}

/** What to do about a write error that stopped the batch. */
function fixFor(error: OutputWriteError, out: string): string {
  return error.code === 'ENOSPC' || error.code === 'EDQUOT'
    ? `Free some space on the disk that holds '${out}' (or pass an --out on another disk)`
    : `Make '${out}' writable (or pass an --out you can write to)`;
}

/** Runs `yonos upscale` once its arguments are parsed. */
async function runUpscale(args: readonly string[], options: UpscaleOptions, command: Command, context: CliContext): Promise<void> {
  const { io } = context;
  const verbose = globalOptions(command).verbose === true;
  // Everything cheap is checked before the backend starts and the weights load.
  const modelDir = resolveModelDir(options.model, { scale: options.scale, bundled: context.bundledModelRoot });
  const folder = await readModelFolder(modelDir);
  checkModelOptions(folder, options, displayPath(modelDir));
  const scale = chooseScale(options.scale, { scale_factor: folder.scale }, modelDir);
  if (options.queue !== undefined && folder.kind === 'upscaler') {
    throw new CliUsageError(`--queue runs YonosPipeline folders; ${displayPath(modelDir)} is a Stable Diffusion upscaler folder: upscale it without --queue.`);
  }
  if (options.queue !== undefined && isModelUrl(modelDir)) {
    throw new CliUsageError(`--queue needs --model as a folder every worker sees at the same path, not a URL (${modelDir}): download the folder first.`);
  }
  const listing = await collectInputs(args);
  for (const { argument, reason } of listing.unmatched) writeLine(io.stderr, `warning: skipped '${argument}': ${reason}`);
  if (listing.images.length === 0) {
    throw new CliUsageError(`No image to upscale in ${args.map((a) => `'${a}'`).join(', ')}: pass PNG, JPEG or WebP files, folders that hold them, or patterns such as 'photos/*.png'.`);
  }
  await checkOutputFolder(options.out, listing.folders);
  await prepareOutputFolder(options.out, context.outputFiles);
  const jobs = await planOutputs(listing.images, {
    outDir: options.out,
    scale,
    overwrite: options.overwrite,
    ...(options.format !== undefined ? { format: options.format } : {}),
  });
  if (options.queue !== undefined) {
    // Loaded only here, so that a local run never loads BullMQ and a Redis client.
    const { runQueuedUpscale } = await import('../queue/queued-upscale.js');
    const backend = globalOptions(command).backend;
    await runQueuedUpscale({ options: { ...options, queue: options.queue }, scale, model: options.model !== undefined ? modelDir : undefined, modelShown: displayPath(modelDir), backend, jobs, listing, io });
    return;
  }
  const kept = jobs.filter((job) => job.kept === true);
  const todo = await measureJobs(jobs.filter((job) => job.kept !== true));
  const out = displayPath(options.out);
  // With --progress json, stdout carries the events only, so the summary goes to stderr.
  const summary = options.progress === 'json' ? io.stderr : io.stdout;
  const progress = createUpscaleProgress({
    mode: options.progress,
    stderr: io.stderr,
    stdout: io.stdout,
    label: `upscale x${scale}`,
    work: jobWork(todo),
    kept,
    scale,
    out: resolve(options.out),
  });

  let result: BatchResult = { written: [], failed: [], firstFrameOnly: [], notDone: [] };
  let ran = '.';
  try {
    if (todo.length > 0) {
      const backend = await context.activateBackend(command);
      const model = await loadModel(folder, options);
      try {
        const interrupt = watchInterrupt(() => progress.log('Interrupted: stopping the current image (press Ctrl-C again to kill).'));
        try {
          result = await runBatch(model.upscaler, todo, {
            settings: { quality: options.quality },
            progress,
            signal: interrupt.signal,
            verbose,
            files: context.outputFiles,
          });
        } finally {
          interrupt.dispose();
        }
      } finally {
        model.dispose();
      }
      ran = `: ${model.settings}, backend ${backend.name}, model ${displayPath(modelDir)}.`;
    }
  } finally {
    progress.stop();
  }

  const written = result.written.length;
  const failed = [...listing.unmatched.map((u) => u.argument), ...result.failed];
  const outcome: BatchOutcome = {
    written,
    kept: kept.length,
    failed,
    ignored: listing.unsupported,
    interrupted: result.interruptedAt !== undefined,
    stopped: result.stopped?.reason ?? null,
  };
  progress.finish(outcome);

  writeLine(summary, `Upscaled ${plural(written, 'image')} x${scale} into ${out}${ran}`);
  if (kept.length > 0) {
    writeLine(summary, `Kept ${plural(kept.length, 'output')} that existed already (pass --overwrite to replace them): ${nameList(kept.map((job) => basename(job.output)))}.`);
  }
  if (result.firstFrameOnly.length > 0) {
    writeLine(summary, `Used only the first frame of ${plural(result.firstFrameOnly.length, 'animated image')}: ${nameList(result.firstFrameOnly)}.`);
  }
  if (listing.unsupported.length > 0) {
    const n = listing.unsupported.length;
    writeLine(
      summary,
      `Ignored ${plural(n, 'file')} in the input folders and patterns that ${n === 1 ? 'is' : 'are'} not PNG, JPEG or WebP: ${nameList(listing.unsupported.map(displayPath))}.`,
    );
  }

  const failures = failed.length > 0 ? ` ${plural(failed.length, 'input')} failed (${failed.join(', ')}; reasons above).` : '';
  const notDone = result.notDone.map((job) => displayPath(job.input));
  if (result.stopped !== undefined) {
    throw new BatchStoppedError(
      `Stopped: cannot write '${displayPath(result.stopped.path)}': ${result.stopped.reason}. ${written} of ${todo.length} images were written and are complete; ` +
        `not written: ${nameList(notDone)}.${failures} ${fixFor(result.stopped, out)}, then: ${rerunAdvice(options.overwrite, written, result.notDone)}`,
    );
  }
  if (result.interruptedAt !== undefined) {
    const before = kept.length > 0 ? ` (and ${plural(kept.length, 'output')} kept from before)` : '';
    throw new UpscaleInterruptedError(
      `Interrupted (Ctrl-C) at '${result.interruptedAt}': ${written} of ${todo.length} images written${before}.${failures} ${rerunAdvice(options.overwrite, written, result.notDone)}`,
    );
  }
  if (failed.length > 0) {
    const rerun = options.overwrite ? 'rerun without --overwrite: the images written are then kept and skipped' : 'rerun the same command: the images written are kept and skipped';
    throw new PartialFailureError(`${failed.length} of ${jobs.length + listing.unmatched.length} inputs failed (${failed.join(', ')}; reasons above). Fix or remove them and ${rerun}.`);
  }
}

/**
 * Adds `yonos upscale <inputs...> [-o out] [--scale N] [--steps N] [--tile PX] [--seed N]
 * [--model dir|url] [--format png|jpeg|webp] [--quality N]`: super-resolves PNG, JPEG and WebP
 * images with a YONOS pipeline folder (default: the model bundled with the package for the
 * scale, `model/x<scale>/`, x4 unless `--scale` says otherwise) into
 * `<out>/<name>_x<scale>.<ext>`. `--model` may also be a Stable Diffusion x4 upscaler folder
 * (diffusers' `StableDiffusionUpscalePipeline`, told apart by its `model_index.json`), run with
 * `--prompt-embeds`, `--noise-level`, `--guidance` and `--schedule` (default `yonos`: trailing
 * timesteps, so `--steps 1` is one step from pure noise at t = 999), and a folder may be an
 * `https://.../resolve/main/` URL. Alpha, gray and 16-bit depth are kept; a bad file is reported
 * and skipped; inputs are never overwritten; an output that exists already is kept (its input
 * skipped, so a rerun continues an interrupted batch) unless `--overwrite` is given; the output
 * folder is checked before the model loads; a full disk stops the batch with the written
 * images intact; Ctrl-C stops cleanly. `--progress json` prints one JSON object per event.
 * With `--queue redis://host:port` the images are enqueued for `yonos worker` processes (see
 * `runQueuedUpscale`) after the same checks, and the command follows the batch.
 */
export function registerUpscaleCommand(program: Command, context: CliContext): Command {
  return program
    .command('upscale')
    .description('super-resolve PNG, JPEG and WebP images with a YONOS model (alpha, gray and 16-bit are kept)')
    .argument('<inputs...>', 'image files, folders (the images directly inside) or quoted patterns such as "photos/*.png" or "shots/**/*.jpg"')
    .option('-o, --out <folder>', 'output folder: writes <out>/<name>_x<scale>.<ext>', './upscaled')
    .option('-s, --scale <n>', `upscaling factor: picks the bundled model for it (default ${DEFAULT_MODEL_SCALE}); with --model, must be that model's (default: its model_index.json scale_factor)`)
    .option('--steps <n>', 'DDIM denoising steps (YONOS models are made for 1; an upscaler folder takes more, see --schedule)', '1')
    .option('--tile <px>', "tile edge in output pixels for the VAE and the U-Net, a multiple of the model's VAE factor x latent multiple (64 for SD-sized models); 0 turns tiling off (default: chosen to fit the memory budget, --memory)")
    .option('--memory <MiB>', 'memory budget of one image, in MiB: tiles are chosen to fit it (none when the image fits); the process grows by at most this plus the model weights plus 64 MiB (default 1024)')
    .option('--seed <n>', 'seed of the initial noise: the same seed gives the same bytes', '0')
    .option(
      '-m, --model <folder|url>',
      'YonosPipeline folder (model_index.json, unet/, vae/, scheduler/), or a Stable Diffusion x4 upscaler folder (StableDiffusionUpscalePipeline, as diffusers saves it); ' +
        'a folder or its https://.../resolve/main/ URL (default: the bundled model for --scale, model/x<scale>/ in the yonos package)',
    )
    .option('--prompt-embeds <file>', 'upscaler folders: .safetensors file (path or URL) with prompt_embeds and, for --guidance above 1, negative_prompt_embeds (default: the folder\'s own)')
    .option('--noise-level <n>', "upscaler folders: noise added to the low-res image, up to the folder's max_noise_level (default 20, diffusers')")
    .option('--guidance <scale>', 'upscaler folders: classifier-free guidance weight, 1 for none (default: 9, diffusers\', when the embeddings hold negative_prompt_embeds, else 1)')
    .addOption(
      new Option(
        '--schedule <kind>',
        "upscaler folders: yonos (default) = DDIM with trailing timesteps and the last step onto z_0, so --steps 1 denoises once from pure noise at t = 999, as YONOS samples; " +
          "model = the folder's scheduler as is (the x4 upscaler's leading spacing, with which one step would denoise at t = 1 only)",
      ).choices([...UPSCALER_SCHEDULES]),
    )
    .addOption(new Option('-f, --format <format>', "output format (default: the input's)").choices([...OUTPUT_FORMATS]))
    .option('-q, --quality <n>', 'JPEG and WebP quality, 1-100', '95')
    .option('--overwrite', 'replace outputs that exist already (default: keep them and skip their inputs, so a rerun continues where the last one stopped)')
    .addOption(
      new Option('--progress <mode>', 'auto: bars on a terminal, else lines; lines: a line per image and a status line with the ETA every few seconds; json: one JSON object per event on stdout')
        .choices([...PROGRESS_MODES])
        .default('auto'),
    )
    .option('--queue <redis-url>', "enqueue the images on a Redis queue (redis://host:port) for 'yonos worker' processes instead of computing them here; follows the batch until every image is done")
    .option('--queue-name <name>', "the queue's name, with --queue (default: yonos-upscale)")
    .option('--detach', 'with --queue: return once the images are enqueued')
    .option('--attempts <n>', 'with --queue: attempts per image before it fails (default 3; errors a retry cannot fix fail at once)')
    .configureHelp({ showGlobalOptions: true })
    .action(async (inputs: string[], raw: Record<string, unknown>, command: Command) => {
      await runUpscale(inputs, parseUpscaleOptions(raw), command, context);
    });
}
