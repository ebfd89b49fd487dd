/**
 * `@yonos/core`: the contracts every YONOS package composes through, and the tensor
 * utilities they share. Isomorphic: Node-only parts live in `@yonos/core/node`.
 * @module \@yonos/core
 */
export { YonosError } from './errors.js';
export * from './contracts/index.js';
export * from './random/index.js';
export * from './backend/index.js';
export * from './nn/index.js';
export * from './safetensors/index.js';
export * from './image/index.js';
export * from './metrics/index.js';
export * from './pretrained/index.js';
export * from './resize/index.js';
