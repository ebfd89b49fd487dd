/**
 * `@yonos/core/internal/node`: the Node services the isomorphic code of `@yonos/core` loads on
 * demand (through a variable specifier, so bundlers never follow it). Not part of the API.
 * @module
 */
export { nodeBackendSupport } from '../backend/node.js';
export { openDirectoryStore } from '../pretrained/node.js';
