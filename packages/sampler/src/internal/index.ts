/**
 * `@yonos/sampler/internal`: helpers the `yonos` command and benchmarks share with the
 * pipelines. Not part of the API: no stability promise, not in the API reference.
 * @module
 */
export { parseModelIndexObject, planTiles } from '../pipeline/index.js';
