/**
 * `@yonos/vae/modules`: the modules `AutoencoderKL` and `AutoencoderTiny` are built from, named
 * as their attributes are (`vae.decoder.up_blocks[0]` is an `UpDecoderBlock2D`), for code that
 * reads, replaces or trains a part of a model.
 * @module \@yonos/vae/modules
 */
export { Encoder } from './encoder.js';
export type { EncoderOptions } from './encoder.js';
export { Decoder } from './decoder.js';
export type { DecoderOptions } from './decoder.js';
export { DownEncoderBlock2D, UpDecoderBlock2D } from './blocks.js';
export type { DownEncoderBlock2DOptions, UpDecoderBlock2DOptions, VaeBlockOptions } from './blocks.js';
export { EncoderTiny } from './tiny-encoder.js';
export type { EncoderTinyOptions } from './tiny-encoder.js';
export { DecoderTiny } from './tiny-decoder.js';
export type { DecoderTinyOptions } from './tiny-decoder.js';
export { AutoencoderTinyBlock } from './tiny-block.js';
export { Activation, Sequential, Upsample } from './tiny-layers.js';
export type { SequentialLayer } from './tiny-layers.js';
export { DeterministicPosterior } from './deterministic-posterior.js';
