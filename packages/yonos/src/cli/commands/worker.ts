import type { Command } from 'commander';
import type { CliContext } from '../program.js';
import { parseWorkerOptions } from '../queue/command-options.js';

/**
 * Adds `yonos worker --redis URL [--queue NAME] [--concurrency N] [--name NAME]
 * [--lock-duration MS] [--stalled-interval MS]`: takes upscale jobs from a BullMQ queue on
 * Redis (enqueued by `yonos upscale --queue` or `enqueueUpscale`) until SIGTERM or Ctrl-C
 * (see `runWorker`). Computes on the global `--backend` and `--threads`.
 */
export function registerWorkerCommand(program: Command, context: CliContext): Command {
  return program
    .command('worker')
    .description("take upscale jobs from a Redis queue (BullMQ) until stopped: run one per machine (or per core group) to share a 'yonos upscale --queue' batch")
    .option('--redis <url>', 'the Redis server of the queue: redis://host:port[/db] (rediss:// for TLS)')
    .option('--queue <name>', "the queue's name (default: yonos-upscale)")
    .option('--concurrency <n>', 'jobs held at once; they compute one at a time (run more workers for more throughput)', '1')
    .option('--name <name>', "the worker's name, stored on its jobs (default: <hostname>:<pid>)")
    .option('--lock-duration <ms>', "a job's lock: if this worker dies, its jobs go to other workers this long after its last sign of life (default 60000; keep it above twice the time one model evaluation takes here)")
    .option('--stalled-interval <ms>', "how often to look for jobs of dead workers (default 30000)")
    .configureHelp({ showGlobalOptions: true })
    .action(async (raw: Record<string, unknown>, command: Command) => {
      const options = parseWorkerOptions(raw);
      // Loaded only here, so that other commands never load BullMQ and a Redis client.
      const { runWorker } = await import('../queue/run-worker.js');
      await runWorker(options, command, context);
    });
}
