/**
 * `@yonos/core/node`: everything of `@yonos/core`, and its Node-only parts (file system,
 * sharp, Dawn WebGPU). Browser bundles import `@yonos/core` only and never pull these in.
 * @module \@yonos/core/node
 */
// The whole curated `@yonos/core` surface (listed once, in ../index.ts), so that Node code needs one import.
export * from '../index.js';
export { defaultNodeThreads, enableNodeWasmThreads, registerAllGradientsInNode, setupNodeWebGPU } from '../backend/node.js';
export { SafetensorsFileSource, openSafetensorsFile, readSafetensorsFile, writeSafetensorsFile } from '../safetensors/node.js';
export { encodeImage, readImage, readImageInfo, readImageTensors, writeImage } from '../image/node.js';
export type { ImageFormat, ImageInfo, WriteImageOptions } from '../image/node.js';
export { DirectoryModelStore } from '../pretrained/node.js';
