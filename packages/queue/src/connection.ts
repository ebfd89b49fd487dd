import { Redis } from 'ioredis';
import { QueueConnectionError } from './errors.js';

/** The queue `yonos worker` and `yonos upscale --queue` use unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'yonos-upscale';

/** How long {@link checkRedis} waits for an answer by default, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** `url` with its password replaced by `***`, for messages and logs. */
export function displayRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Checks that `url` is a Redis URL: `redis://[user:password@]host[:port][/db]`, or `rediss://`
 * for TLS.
 * @throws {@link QueueConnectionError} saying what a Redis URL looks like.
 */
export function parseRedisUrl(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    throw new QueueConnectionError(`'${url}' is not a Redis URL: pass redis://host:port (for example redis://localhost:6379), or rediss://host:port for TLS.`);
  }
  return parsed;
}

/**
 * Checks a queue name: not empty, and without `:` (BullMQ's key separator).
 * @throws {@link QueueConnectionError} saying what to pass.
 */
export function checkQueueName(name: string): string {
  if (name === '' || name.includes(':')) {
    throw new QueueConnectionError(`'${name}' cannot be a queue name: pass a name without ':' (the default is ${DEFAULT_QUEUE_NAME}).`);
  }
  return name;
}

/** BullMQ connection options (see {@link connectionOptions}). */
export interface RedisConnectionOptions {
  /** The Redis URL. */
  readonly url: string;
  /** `null`: a command waits for Redis to come back rather than failing after some retries. */
  readonly maxRetriesPerRequest: null;
}

/**
 * BullMQ connection options for `url`. Commands wait for Redis to come back instead of failing
 * after a few retries (`maxRetriesPerRequest: null`, which BullMQ requires of workers), so a
 * Redis restart costs time, not jobs.
 */
export function connectionOptions(url: string): RedisConnectionOptions {
  parseRedisUrl(url);
  return { url, maxRetriesPerRequest: null };
}

/**
 * Connects to `url` once and pings it, so a wrong address or a server that is down is reported
 * at once rather than retried forever.
 * @throws {@link QueueConnectionError} naming the address (password hidden) and the cause.
 */
export async function checkRedis(url: string, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<void> {
  parseRedisUrl(url);
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // A failed connection also emits 'error'; the failure is reported through connect() below.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new QueueConnectionError(`Cannot reach Redis at ${displayRedisUrl(url)}: ${why}. Start redis-server there (see the guide "Upscaling at scale"), or pass the right address.`, { cause: err });
  } finally {
    client.disconnect();
  }
}
