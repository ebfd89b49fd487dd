/**
 * `@yonos/unet/modules`: the modules `UNet2DConditionModel` and `UNet2DModel` are built from,
 * named as their attributes are (`unet.down_blocks[1]` is a `CrossAttnDownBlock2D`), for code
 * that reads, replaces or trains a part of a model.
 * @module \@yonos/unet/modules
 */
export { Embedding } from './embedding.js';
export type { ClassEmbeddingModule } from './class-embedding.js';
export { Transformer2DModel } from './transformer-2d.js';
export type { Transformer2DOptions } from './transformer-2d.js';
export { BasicTransformerBlock } from './basic-transformer-block.js';
export type { BasicTransformerBlockOptions } from './basic-transformer-block.js';
export { FeedForward } from './feed-forward.js';
export {
  AttnDownBlock2D,
  AttnUpBlock2D,
  CrossAttnDownBlock2D,
  CrossAttnUpBlock2D,
  DownBlock2D,
  UNetMidBlock2DCrossAttn,
  UpBlock2D,
} from './blocks/index.js';
export type {
  AttnDownBlock2DOptions,
  AttnUpBlock2DOptions,
  CrossAttentionSettings,
  CrossAttnDownBlock2DOptions,
  CrossAttnUpBlock2DOptions,
  DownBlock2DOptions,
  DownBlockOutput,
  ResnetSettings,
  UNetDownBlock,
  UNetMidBlock,
  UNetMidBlock2DCrossAttnOptions,
  UNetUpBlock,
  UpBlock2DOptions,
} from './blocks/index.js';
