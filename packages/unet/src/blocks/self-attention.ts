import { Attention } from '@yonos/core';
import { UnetConfigError } from '../errors.js';

/**
 * The spatial self-attention of `AttnDownBlock2D`, `AttnUpBlock2D` and `UNetMidBlock2D`
 * (diffusers' `Attention(..., residual_connection=True, bias=True)`, formerly `AttentionBlock`):
 * GroupNorm, single- or multi-head attention over the `H*W` positions, plus the input, divided
 * by `rescale_output_factor`. Heads: `floor(channels / attention_head_dim)`.
 * @param groups GroupNorm groups, or `null` for no norm.
 */
export function makeSpatialSelfAttention(
  channels: number,
  attention_head_dim: number,
  groups: number | null,
  eps: number,
  rescale_output_factor: number,
): Attention {
  const heads = Math.floor(channels / attention_head_dim);
  if (heads < 1) {
    throw new UnetConfigError(
      `attention_head_dim (${attention_head_dim}) is larger than the block's channels (${channels}); use at most ${channels}.`,
    );
  }
  return new Attention({
    query_dim: channels,
    heads,
    dim_head: attention_head_dim,
    rescale_output_factor,
    eps,
    norm_num_groups: groups,
    residual_connection: true,
    bias: true,
  });
}
