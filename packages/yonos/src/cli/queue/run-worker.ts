import { useBackend } from '@yonos/core';
import { checkRedis, createUpscaleWorker, stopOnSignals } from '@yonos/queue';
import { displayRedisUrl } from '@yonos/queue/internal';
import type { UpscaleWorkerEvent } from '@yonos/queue';
import type { Command } from 'commander';
import { createUpscaleProcessor } from '../../queue/processor.js';
import { backendOptions, globalOptions } from '../backend.js';
import { writeLine } from '../io.js';
import type { CliContext } from '../program.js';
import { displayPath } from '../upscale/display-path.js';
import { writtenLine } from '../upscale/progress.js';
import type { WorkerCommandOptions } from './command-options.js';

/**
 * `yonos worker`: checks the thread count and that Redis answers, starts the backend, then takes
 * jobs until SIGTERM or Ctrl-C. The first signal finishes the running jobs and takes no more;
 * a second one stops them and hands them back to the queue. A line per image written goes to
 * stdout; jobs taken, failures and the worker's state go to stderr.
 * @throws `QueueConnectionError` when Redis cannot be reached; `ThreadCountError` for a bad `--threads`.
 */
export async function runWorker(options: WorkerCommandOptions, command: Command, context: CliContext): Promise<void> {
  const { io } = context;
  const threads = backendOptions(command);
  const redis = displayRedisUrl(options.redis);
  await checkRedis(options.redis);
  const info = await context.activateBackend(command);
  const backend = globalOptions(command).backend;
  const processor = createUpscaleProcessor({ bundledModelRoot: context.bundledModelRoot, activateBackend: (name) => useBackend(name ?? backend, threads) });
  let written = 0;
  let failed = 0;
  let lastWarning = 0;
  const onEvent = (event: UpscaleWorkerEvent): void => {
    switch (event.type) {
      case 'active':
        writeLine(io.stderr, `job ${event.jobId}: '${displayPath(event.job.input)}'${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}${event.restarted ? ' (started before by a worker that stopped)' : ''}`);
        return;
      case 'completed': {
        written++;
        const r = event.result;
        writeLine(io.stdout, `${writtenLine({ input: event.job.input, output: r.output, width: r.width, height: r.height, frames: r.frames, alphaDropped: r.droppedAlpha })} in ${r.seconds.toFixed(2)} s`);
        return;
      }
      case 'failed':
        if (!event.retrying) failed++;
        writeLine(io.stderr, `warning: job ${event.jobId}${event.job !== undefined ? ` '${displayPath(event.job.input)}'` : ''} failed: ${event.reason}${event.retrying ? ' (it will be retried)' : ''}`);
        return;
      case 'handed-back':
        writeLine(io.stderr, `job ${event.jobId}: '${displayPath(event.job.input)}' stopped and handed back to the queue.`);
        return;
      case 'error':
        // While Redis is away every retry reports; one line per 10 s is enough.
        if (Date.now() - lastWarning < 10_000) return;
        lastWarning = Date.now();
        writeLine(io.stderr, `warning: Redis at ${redis}: ${event.message} (reconnecting)`);
        return;
      case 'ready':
        return;
    }
  };
  const worker = await createUpscaleWorker({
    redis: options.redis,
    ...(options.queue !== undefined ? { queueName: options.queue } : {}),
    ...(options.name !== undefined ? { workerName: options.name } : {}),
    ...(options.lockDuration !== undefined ? { lockDurationMs: options.lockDuration } : {}),
    ...(options.stalledInterval !== undefined ? { stalledIntervalMs: options.stalledInterval } : {}),
    concurrency: options.concurrency,
    process: processor.process,
    retryable: processor.retryable,
    onEvent,
  });
  const threadCount = info.wasm !== undefined ? `, ${info.wasm.threads} thread${info.wasm.threads === 1 ? '' : 's'}` : '';
  writeLine(
    io.stderr,
    `worker ${worker.name} ready: queue '${worker.bullmq.name}' at ${redis}, backend ${info.name}${threadCount}, concurrency ${options.concurrency}. ` +
      'Stop with SIGTERM or Ctrl-C (finishes the running jobs; a second one hands them back to the queue).',
  );
  const stop = stopOnSignals(worker, (phase, running) => {
    writeLine(
      io.stderr,
      phase === 'finishing'
        ? `stopping: finishing ${running} running job${running === 1 ? '' : 's'}, taking no more (signal again to hand ${running === 1 ? 'it' : 'them'} back to the queue).`
        : `stopping now: handing ${running} running job${running === 1 ? '' : 's'} back to the queue.`,
    );
  });
  try {
    await stop.closed;
  } finally {
    stop.dispose();
    processor.dispose();
  }
  writeLine(io.stderr, `worker ${worker.name} stopped: ${written} image${written === 1 ? '' : 's'} written, ${failed} failed.`);
}
