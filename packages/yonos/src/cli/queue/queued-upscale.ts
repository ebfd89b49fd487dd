import { basename, resolve } from 'node:path';
import type { BackendName } from '@yonos/core';
import { enqueueUpscale, openUpscaleQueue, upscaleQueueStatus, watchUpscaleBatch } from '@yonos/queue';
import { displayRedisUrl } from '@yonos/queue/internal';
import type { UpscaleJobSpec } from '@yonos/queue';
import { PartialFailureError } from '../errors.js';
import { type CliIO, writeLine } from '../io.js';
import { displayPath } from '../upscale/display-path.js';
import type { InputListing } from '../upscale/inputs.js';
import { UpscaleInterruptedError, watchInterrupt } from '../upscale/interrupt.js';
import type { UpscaleOptions } from '../upscale/options.js';
import type { UpscaleJob } from '../upscale/output-plan.js';
import { createBatchProgress } from './batch-progress.js';

/** What `yonos upscale --queue` has checked and planned before it enqueues. */
export interface QueuedUpscale {
  /** The command's options; `queue` is the Redis URL. */
  readonly options: UpscaleOptions & { readonly queue: string };
  /** The model's scale. */
  readonly scale: number;
  /** `--model` as an absolute folder; absent for the bundled model, which each worker takes from its own install. */
  readonly model: string | undefined;
  /** The model folder as the summary names it. */
  readonly modelShown: string;
  /** `--backend`; absent: each worker's. */
  readonly backend: BackendName | undefined;
  /** Every planned output, kept and refused ones included. */
  readonly jobs: readonly UpscaleJob[];
  readonly listing: InputListing;
  readonly io: CliIO;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function nameList(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** The commands that follow or cancel a batch, for messages. */
function followCommands(redis: string, queue: string, batch: string): string {
  const where = `--redis ${redis} --queue ${queue} --batch ${batch}`;
  return `'yonos queue status ${where}' shows it, 'yonos queue cancel ${where}' cancels what no worker has taken`;
}

/**
 * `yonos upscale --queue`: enqueues one job per image that needs upscaling (outputs that exist
 * are kept unless `--overwrite`, as without `--queue`), then follows the batch until every job
 * has finished, showing the workers' progress, and prints the same summary as a local run. With
 * `--detach` it returns once the jobs are enqueued. Ctrl-C stops following; the jobs go on.
 * @throws `QueueConnectionError` when Redis cannot be reached; `PartialFailureError` when jobs
 *   failed or were cancelled; `UpscaleInterruptedError` after Ctrl-C.
 */
export async function runQueuedUpscale(run: QueuedUpscale): Promise<void> {
  const { options, io, scale, listing } = run;
  const kept = run.jobs.filter((job) => job.kept === true);
  const refused = run.jobs.filter((job) => job.problem !== undefined);
  const todo = run.jobs.filter((job) => job.kept !== true && job.problem === undefined);
  const summary = options.progress === 'json' ? io.stderr : io.stdout;
  const out = displayPath(options.out);
  const redis = displayRedisUrl(options.queue);
  for (const job of refused) writeLine(io.stderr, `warning: skipped '${displayPath(job.input)}': ${job.problem!}`);

  const specs: UpscaleJobSpec[] = todo.map((job) => ({
    input: job.input,
    output: job.output,
    options: {
      scale,
      steps: options.steps,
      seed: options.seed,
      format: job.format,
      quality: options.quality,
      ...(options.tile !== undefined ? { tile: options.tile } : {}),
      ...(options.memory !== undefined ? { memory: options.memory } : {}),
      ...(run.model !== undefined ? { model: run.model } : {}),
      ...(run.backend !== undefined ? { backend: run.backend } : {}),
    },
  }));

  let lastWarning = 0;
  const queue = await openUpscaleQueue({
    redis: options.queue,
    ...(options.queueName !== undefined ? { name: options.queueName } : {}),
    onError: (error) => {
      // Redis away: every retry reports; one line per 10 s is enough.
      if (Date.now() - lastWarning < 10_000) return;
      lastWarning = Date.now();
      writeLine(io.stderr, `warning: Redis at ${redis}: ${error.message} (reconnecting; the batch goes on)`);
    },
  });
  let written = 0;
  let failed: string[] = [];
  let cancelled: string[] = [];
  let backends: string[] = [];
  let batchId = '';
  try {
    if (specs.length === 0) {
      writeLine(summary, `Upscaled 0 images x${scale} into ${out}: nothing to enqueue.`);
    } else {
      const batch = await enqueueUpscale(queue, specs, options.attempts !== undefined ? { attempts: options.attempts } : {});
      batchId = batch.id;
      const where = `batch ${batch.id} on queue '${queue.name}' at ${redis}`;
      // Some hosted Redis servers refuse CLIENT LIST, which counts the workers: then no note.
      const workers = await upscaleQueueStatus(queue).then((status) => status.workers, () => undefined);
      if (workers === 0) {
        writeLine(io.stderr, `note: no worker is connected to queue '${queue.name}' yet: the jobs wait for one ('yonos worker --redis ${redis} --queue ${queue.name}').`);
      }
      if (options.detach) {
        writeLine(summary, `Queued ${plural(specs.length, 'image')} x${scale} for ${out} as ${where}: ${followCommands(redis, queue.name, batch.id)}.`);
        return;
      }
      const progress = createBatchProgress({
        mode: options.progress,
        stderr: io.stderr,
        stdout: io.stdout,
        label: `upscale x${scale} on ${queue.name}`,
        images: specs.length,
        kept: kept.map((job) => ({ input: job.input, output: job.output })),
        batch: batch.id,
        queue: queue.name,
        scale,
        out: resolve(options.out),
      });
      let outcome;
      try {
        const interrupt = watchInterrupt(() => progress.log('Interrupted: no longer following the batch; its jobs go on in the queue.'));
        try {
          outcome = await watchUpscaleBatch(queue, batch, { onEvent: (event) => progress.event(event), signal: interrupt.signal });
        } finally {
          interrupt.dispose();
        }
      } finally {
        progress.stop();
      }
      written = outcome.completed.length;
      failed = outcome.failed.map((f) => displayPath(f.job.input));
      cancelled = outcome.cancelled.map((c) => displayPath(c.job.input));
      backends = [...new Set(outcome.completed.map((c) => c.result.backend))];
      progress.finish({ written, kept: kept.length, failed, cancelled, detached: outcome.unfinished.length > 0 });
      const ran = written > 0 ? `: steps ${options.steps}, seed ${options.seed}, backend ${backends.join(', ')}, model ${run.modelShown}` : '';
      writeLine(summary, `Upscaled ${plural(written, 'image')} x${scale} into ${out} through ${where}${ran}.`);
      if (outcome.unfinished.length > 0) {
        throw new UpscaleInterruptedError(
          `Interrupted (Ctrl-C): ${written} of ${specs.length} images written so far; the other ${outcome.unfinished.length} stay queued and the workers go on: ${followCommands(redis, queue.name, batch.id)}.`,
        );
      }
    }
  } finally {
    await queue.close();
  }
  if (kept.length > 0) {
    writeLine(summary, `Kept ${plural(kept.length, 'output')} that existed already (pass --overwrite to replace them): ${nameList(kept.map((job) => basename(job.output)))}.`);
  }
  if (listing.unsupported.length > 0) {
    const n = listing.unsupported.length;
    writeLine(summary, `Ignored ${plural(n, 'file')} in the input folders and patterns that ${n === 1 ? 'is' : 'are'} not PNG, JPEG or WebP: ${nameList(listing.unsupported.map(displayPath))}.`);
  }
  const allFailed = [...listing.unmatched.map((u) => u.argument), ...refused.map((job) => displayPath(job.input)), ...failed];
  const total = run.jobs.length + listing.unmatched.length;
  if (cancelled.length > 0) {
    throw new PartialFailureError(
      `${cancelled.length} of ${total} inputs were cancelled in batch ${batchId} before a worker took them (${nameList(cancelled)}).` +
        `${allFailed.length > 0 ? ` ${allFailed.length} failed (${allFailed.join(', ')}; reasons above).` : ''} Rerun the same command to enqueue what is not written: the images written are kept and skipped.`,
    );
  }
  if (allFailed.length > 0) {
    const rerun = options.overwrite ? 'rerun without --overwrite: the images written are then kept and skipped' : 'rerun the same command: the images written are kept and skipped';
    throw new PartialFailureError(`${allFailed.length} of ${total} inputs failed (${allFailed.join(', ')}; reasons above). Fix or remove them and ${rerun}.`);
  }
}
