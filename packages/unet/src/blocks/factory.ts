import type { LevelPlan } from '../config/level-plan.js';
import { UnetConfigError } from '../errors.js';
import { AttnDownBlock2D } from './attn-down-block-2d.js';
import { AttnUpBlock2D } from './attn-up-block-2d.js';
import { CrossAttnDownBlock2D } from './cross-attn-down-block-2d.js';
import { CrossAttnUpBlock2D } from './cross-attn-up-block-2d.js';
import { DownBlock2D } from './down-block-2d.js';
import type { CrossAttentionSettings, ResnetSettings, UNetDownBlock, UNetUpBlock } from './types.js';
import { UpBlock2D } from './up-block-2d.js';

/** One level of a U-Net as the block factories need it (a config plan entry). */
export interface LevelSpec extends LevelPlan<string> {
  /** Channels per head of `Attn*Block2D`. */
  readonly attention_head_dim: number;
  /** Cross-attention heads (`CrossAttn*` only). */
  readonly num_attention_heads?: number;
  /** Context width (`CrossAttn*` only). */
  readonly cross_attention_dim?: number;
  /** Transformer depth per layer (`CrossAttn*` only). */
  readonly transformer_layers?: readonly number[];
  /** `attn1` attends to the context (`CrossAttn*` only). */
  readonly only_cross_attention?: boolean;
}

/** Settings shared by all blocks of a U-Net. */
export interface BlockContext {
  /** ResNet settings. */
  readonly resnet: ResnetSettings;
  /** Padding of downsampling convs. */
  readonly downsample_padding: number;
  /** Transformer projections are linear. */
  readonly use_linear_projection: boolean;
  /** Kept for fidelity. */
  readonly upcast_attention: boolean;
  /** How `AttnDownBlock2D` downsamples (default `'conv'`). */
  readonly downsample_type?: 'conv' | 'resnet';
  /** How `AttnUpBlock2D` upsamples (default `'conv'`). */
  readonly upsample_type?: 'conv' | 'resnet';
}

function crossSettings(spec: LevelSpec, ctx: BlockContext): CrossAttentionSettings {
  if (spec.num_attention_heads === undefined || spec.cross_attention_dim === undefined) {
    throw new UnetConfigError(`${spec.type} needs cross_attention_dim and attention heads; use it in a UNet2DConditionModel.`);
  }
  return {
    num_attention_heads: spec.num_attention_heads,
    cross_attention_dim: spec.cross_attention_dim,
    transformer_layers: spec.transformer_layers ?? Array.from({ length: spec.num_layers }, () => 1),
    use_linear_projection: ctx.use_linear_projection,
    only_cross_attention: spec.only_cross_attention ?? false,
    upcast_attention: ctx.upcast_attention,
  };
}

/**
 * Builds a down block from its level spec, as diffusers' `get_down_block`.
 * @throws {@link UnetConfigError} for an unknown type.
 */
export function createDownBlock(spec: LevelSpec, ctx: BlockContext): UNetDownBlock {
  const base = {
    in_channels: spec.in_channels,
    out_channels: spec.out_channels,
    num_layers: spec.num_layers,
    downsample_padding: ctx.downsample_padding,
    resnet: ctx.resnet,
  };
  switch (spec.type) {
    case 'DownBlock2D':
      return new DownBlock2D({ ...base, add_downsample: spec.resample });
    case 'CrossAttnDownBlock2D':
      return new CrossAttnDownBlock2D({ ...base, add_downsample: spec.resample, attention: crossSettings(spec, ctx) });
    case 'AttnDownBlock2D':
      return new AttnDownBlock2D({
        ...base,
        attention_head_dim: spec.attention_head_dim,
        downsample_type: spec.resample ? (ctx.downsample_type ?? 'conv') : null,
      });
    default:
      throw new UnetConfigError(`Unknown down block type "${spec.type}": use DownBlock2D, CrossAttnDownBlock2D or AttnDownBlock2D.`);
  }
}

/**
 * Builds an up block from its level spec, as diffusers' `get_up_block`.
 * @throws {@link UnetConfigError} for an unknown type.
 */
export function createUpBlock(spec: LevelSpec, ctx: BlockContext): UNetUpBlock {
  const base = {
    in_channels: spec.in_channels,
    prev_output_channel: spec.prev_output_channel,
    out_channels: spec.out_channels,
    num_layers: spec.num_layers,
    resnet: ctx.resnet,
  };
  switch (spec.type) {
    case 'UpBlock2D':
      return new UpBlock2D({ ...base, add_upsample: spec.resample });
    case 'CrossAttnUpBlock2D':
      return new CrossAttnUpBlock2D({ ...base, add_upsample: spec.resample, attention: crossSettings(spec, ctx) });
    case 'AttnUpBlock2D':
      return new AttnUpBlock2D({
        ...base,
        attention_head_dim: spec.attention_head_dim,
        upsample_type: spec.resample ? (ctx.upsample_type ?? 'conv') : null,
      });
    default:
      throw new UnetConfigError(`Unknown up block type "${spec.type}": use UpBlock2D, CrossAttnUpBlock2D or AttnUpBlock2D.`);
  }
}
