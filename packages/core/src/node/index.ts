/**
 * `@yonos/core/node`: the Node-only parts of core (file system, sharp, Dawn WebGPU).
 * Browser bundles import `@yonos/core` only and never pull these in.
 * @module \@yonos/core/node
 */
export * from '../index.js';
export * from '../backend/node.js';
export * from '../safetensors/node.js';
export * from '../image/node.js';
export * from '../pretrained/node.js';
