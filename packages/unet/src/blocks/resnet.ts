import { ResnetBlock2D } from '@yonos/core/nn';
import type { ResnetSettings } from './types.js';

/**
 * A `ResnetBlock2D` as diffusers' U-Net blocks build it (pre-norm, time-conditioned).
 * @param extra `up` / `down` for the ResNet resamplers of `'resnet'` up/down types.
 */
export function makeResnet(
  s: ResnetSettings,
  in_channels: number,
  out_channels: number,
  extra: { readonly up?: boolean; readonly down?: boolean } = {},
): ResnetBlock2D {
  return new ResnetBlock2D({
    in_channels,
    out_channels,
    temb_channels: s.temb_channels,
    eps: s.eps,
    groups: s.groups,
    dropout: s.dropout,
    time_embedding_norm: s.time_scale_shift,
    non_linearity: s.act_fn,
    output_scale_factor: s.output_scale_factor ?? 1,
    ...extra,
  });
}
