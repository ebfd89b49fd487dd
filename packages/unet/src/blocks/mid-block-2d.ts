import { UNetMidBlock2D } from '@yonos/core/nn';
import { spatialAttentionHeads } from './self-attention.js';
import type { ResnetSettings } from './types.js';

/** What a U-Net decides about its `UNetMidBlock2D` beyond the shared ResNet settings. */
export interface UNetMidBlock2DLevel {
  /** Channels (in = out): the deepest level's. */
  readonly in_channels: number;
  /** (attention, ResNet) pairs after the first ResNet (default 1). */
  readonly num_layers?: number;
  /** Whether the pairs have their self-attention (default `true`). */
  readonly add_attention?: boolean;
  /** Channels per attention head (default 1). */
  readonly attention_head_dim?: number;
  /** Groups of the attention's GroupNorm, or `null` for none (default: diffusers' rule, see core's `UNetMidBlock2DOptions`). */
  readonly attn_groups?: number | null;
}

/**
 * Core's `UNetMidBlock2D` as the U-Nets build it: time-conditioned ResNets with the shared
 * settings, whose `output_scale_factor` (`mid_block_scale_factor`) also divides the attention output.
 * @throws `UnetConfigError` when `attention_head_dim` exceeds the channels of an attention.
 */
export function makeUNetMidBlock2D(s: ResnetSettings, level: UNetMidBlock2DLevel): UNetMidBlock2D {
  const addAttention = level.add_attention ?? true;
  if (addAttention) spatialAttentionHeads(level.in_channels, level.attention_head_dim ?? 1);
  return new UNetMidBlock2D({
    ...level,
    temb_channels: s.temb_channels,
    dropout: s.dropout,
    resnet_eps: s.eps,
    resnet_time_scale_shift: s.time_scale_shift,
    resnet_act_fn: s.act_fn,
    resnet_groups: s.groups,
    add_attention: addAttention,
    output_scale_factor: s.output_scale_factor ?? 1,
  });
}
