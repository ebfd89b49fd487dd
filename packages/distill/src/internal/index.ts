/**
 * `@yonos/distill/internal`: helpers the `yonos` command shares with the trainers. Not part of
 * the API: no stability promise, not in the API reference.
 * @module
 */
export { formatDuration } from '../loop/index.js';
export { toSigned } from '../stages/index.js';
