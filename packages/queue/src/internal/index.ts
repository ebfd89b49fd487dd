/**
 * `@yonos/queue/internal`: helpers the `yonos` command shares with the queue. Not part of the
 * API: no stability promise, not in the API reference.
 * @module
 */
export { displayRedisUrl } from '../connection.js';
export { isUrlInput } from '../job-data.js';
