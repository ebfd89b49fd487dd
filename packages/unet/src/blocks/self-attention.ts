import { Attention } from '@yonos/core/nn';
import { UnetConfigError } from '../errors.js';

/**
 * Heads of a spatial self-attention over `channels`: `floor(channels / attention_head_dim)`.
 * @throws {@link UnetConfigError} when that is 0.
 */
export function spatialAttentionHeads(channels: number, attention_head_dim: number): number {
  const heads = Math.floor(channels / attention_head_dim);
  if (heads < 1) {
    throw new UnetConfigError(
      `attention_head_dim (${attention_head_dim}) is larger than the block's channels (${channels}); use at most ${channels}.`,
    );
  }
  return heads;
}

/**
 * The spatial self-attention of `AttnDownBlock2D` and `AttnUpBlock2D` (diffusers'
 * `Attention(..., residual_connection=True, bias=True)`, formerly `AttentionBlock`):
 * GroupNorm, single- or multi-head attention over the `H*W` positions, plus the input, divided
 * by `rescale_output_factor`. Heads: {@link spatialAttentionHeads}.
 * @param groups GroupNorm groups, or `null` for no norm.
 */
export function makeSpatialSelfAttention(
  channels: number,
  attention_head_dim: number,
  groups: number | null,
  eps: number,
  rescale_output_factor: number,
): Attention {
  const heads = spatialAttentionHeads(channels, attention_head_dim);
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
