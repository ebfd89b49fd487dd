import { Queue, QueueEvents } from 'bullmq';
import { checkQueueName, checkRedis, connectionOptions, DEFAULT_QUEUE_NAME, displayRedisUrl } from './connection.js';
import type { UpscaleJobData, UpscaleJobResult } from './job-data.js';

/** The BullMQ job name of every upscale job. */
export const UPSCALE_JOB_NAME = 'upscale';

/** The BullMQ queue of upscale jobs. */
export type UpscaleBullQueue = Queue<UpscaleJobData, UpscaleJobResult, typeof UPSCALE_JOB_NAME>;

/** Where an upscale queue is: the Redis server and the queue's name. */
export interface UpscaleQueueOptions {
  /** The Redis server: `redis://host:port[/db]` (`rediss://` for TLS; user and password in the URL). */
  readonly redis: string;
  /** The queue's name, default {@link DEFAULT_QUEUE_NAME}. Producers and workers must use the same. */
  readonly name?: string;
  /** BullMQ's key prefix, default `bull`: several YONOS deployments can share one Redis with different prefixes. */
  readonly prefix?: string;
  /** How long to wait for Redis to answer the first time, in milliseconds (default 5000). */
  readonly connectTimeoutMs?: number;
  /**
   * Called with connection errors after the queue is open (Redis went away: commands wait for it
   * to come back). Default: ignored.
   */
  readonly onError?: (error: Error) => void;
}

/** An open upscale queue (see {@link openUpscaleQueue}). */
export interface UpscaleQueue {
  /** The queue's name. */
  readonly name: string;
  /** The Redis URL, password hidden. */
  readonly redis: string;
  /** The BullMQ queue, for what this package does not wrap (metrics, pausing, dashboards). */
  readonly bullmq: UpscaleBullQueue;
  /** The queue's BullMQ events (one shared listener, opened on first use and ready when the promise resolves). */
  events(): Promise<QueueEvents>;
  /** Closes the queue's and the events' connections. */
  close(): Promise<void>;
}

/**
 * Opens the upscale queue `options.name` on `options.redis`, after checking that Redis answers.
 * Close it when done.
 * @throws `QueueConnectionError` for a URL that is not a Redis URL, a bad queue name, or a
 *   server that does not answer.
 */
export async function openUpscaleQueue(options: UpscaleQueueOptions): Promise<UpscaleQueue> {
  const name = checkQueueName(options.name ?? DEFAULT_QUEUE_NAME);
  const connection = connectionOptions(options.redis);
  await checkRedis(options.redis, options.connectTimeoutMs);
  const onError = options.onError ?? (() => undefined);
  const prefix = options.prefix !== undefined ? { prefix: options.prefix } : {};
  const bullmq: UpscaleBullQueue = new Queue(name, { connection, ...prefix });
  // Without a listener an 'error' event would throw; reconnecting is ioredis's job.
  bullmq.on('error', onError);
  await bullmq.waitUntilReady();
  let events: Promise<QueueEvents> | undefined;
  return {
    name,
    redis: displayRedisUrl(options.redis),
    bullmq,
    events() {
      events ??= (async () => {
        const listener = new QueueEvents(name, { connection, ...prefix });
        listener.on('error', onError);
        await listener.waitUntilReady();
        return listener;
      })();
      return events;
    },
    async close() {
      if (events !== undefined) await (await events).close();
      await bullmq.close();
    },
  };
}
