import { z } from 'zod';
import { CliUsageError } from '../errors.js';

/** What a Redis URL starts with; the queue library checks the rest when it connects. */
export const REDIS_URL = /^rediss?:\/\/[^/]/;

const wholeNumber = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .min(min, { error: `${name} must be at least ${min}` })
    .max(max, { error: `${name} must be at most ${max}` });

const redis = z
  .string({ error: '--redis is required: pass the Redis URL of the queue, such as redis://localhost:6379' })
  .regex(REDIS_URL, { error: '--redis must be a Redis URL such as redis://localhost:6379 (rediss:// for TLS)' });
const queue = z.string().min(1, { error: '--queue needs a name' }).optional();

const workerSchema = z.object({
  redis,
  queue,
  concurrency: wholeNumber('--concurrency', 1, 64).default(1),
  name: z.string().min(1, { error: '--name needs a name' }).optional(),
  lockDuration: wholeNumber('--lock-duration', 1000, 3_600_000).optional(),
  stalledInterval: wholeNumber('--stalled-interval', 100, 3_600_000).optional(),
});

const statusSchema = z.object({ redis, queue, batch: z.string().min(1).optional(), json: z.boolean().default(false) });
const cancelSchema = z.object({ redis, queue, batch: z.string().min(1).optional(), all: z.boolean().default(false) });

/** The validated options of `yonos worker`. */
export type WorkerCommandOptions = z.infer<typeof workerSchema>;
/** The validated options of `yonos queue status`. */
export type QueueStatusOptions = z.infer<typeof statusSchema>;
/** The validated options of `yonos queue cancel`. */
export type QueueCancelOptions = z.infer<typeof cancelSchema>;

function parse<T>(schema: z.ZodType<T>, raw: Record<string, unknown>): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const got = raw[String(issue?.path[0])];
    throw new CliUsageError(`${issue?.message ?? 'invalid options'}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}.`);
  }
  return parsed.data;
}

/** Validates `yonos worker`'s options. @throws {@link CliUsageError} naming the option. */
export function parseWorkerOptions(raw: Record<string, unknown>): WorkerCommandOptions {
  return parse(workerSchema, raw);
}

/** Validates `yonos queue status`'s options. @throws {@link CliUsageError} naming the option. */
export function parseQueueStatusOptions(raw: Record<string, unknown>): QueueStatusOptions {
  return parse(statusSchema, raw);
}

/** Validates `yonos queue cancel`'s options: exactly one of `--batch` and `--all`. @throws {@link CliUsageError}. */
export function parseQueueCancelOptions(raw: Record<string, unknown>): QueueCancelOptions {
  const options = parse(cancelSchema, raw);
  if ((options.batch === undefined) === !options.all) {
    throw new CliUsageError('yonos queue cancel needs either --batch <id> (one batch, as yonos upscale --queue printed it) or --all (every job no worker has taken).');
  }
  return options;
}
