import type { Command } from 'commander';
import type { CliContext } from '../program.js';
import { parseQueueCancelOptions, parseQueueStatusOptions } from '../queue/command-options.js';

/**
 * Adds `yonos queue status --redis URL [--queue NAME] [--batch ID] [--json]` (jobs by state,
 * connected workers, a batch's failures) and `yonos queue cancel --redis URL [--queue NAME]
 * (--batch ID | --all)` (removes the jobs no worker has taken).
 */
export function registerQueueCommand(program: Command, context: CliContext): Command {
  const queue = program.command('queue').description("look at or cancel the jobs of a 'yonos upscale --queue' queue");
  queue
    .command('status')
    .description('jobs by state and workers connected; with --batch, that batch and its failures')
    .option('--redis <url>', 'the Redis server of the queue: redis://host:port[/db]')
    .option('--queue <name>', "the queue's name (default: yonos-upscale)")
    .option('--batch <id>', "one batch, as 'yonos upscale --queue' printed it")
    .option('--json', 'print one JSON object')
    .action(async (raw: Record<string, unknown>) => {
      const options = parseQueueStatusOptions(raw);
      const { runQueueStatus } = await import('../queue/queue-admin.js');
      await runQueueStatus(options, context.io);
    });
  queue
    .command('cancel')
    .description('remove the jobs of a batch (or of every batch) that no worker has taken; running ones finish')
    .option('--redis <url>', 'the Redis server of the queue: redis://host:port[/db]')
    .option('--queue <name>', "the queue's name (default: yonos-upscale)")
    .option('--batch <id>', "the batch, as 'yonos upscale --queue' printed it")
    .option('--all', 'every job of the queue that no worker has taken')
    .action(async (raw: Record<string, unknown>) => {
      const options = parseQueueCancelOptions(raw);
      const { runQueueCancel } = await import('../queue/queue-admin.js');
      await runQueueCancel(options, context.io);
    });
  return queue;
}
