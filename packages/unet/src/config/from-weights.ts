import { childIndices } from '@yonos/core/internal';
import type { ModelConfig } from '@yonos/core';

/**
 * The U-Net config keys a state dict's PyTorch shapes imply, for `UNet2DModel` and
 * `UNet2DConditionModel` (same names): `in_channels` (`conv_in`), `out_channels` (`conv_out`),
 * `block_out_channels` (each down block's first ResNet), `layers_per_block` (ResNets per down
 * block: one number when every level has the same count, else a list) and, when
 * `crossAttention`, `cross_attention_dim` (the key projections' input width). Keys the state
 * dict cannot tell are left out.
 * @param shapes Parameter names and their PyTorch shapes.
 * @param crossAttention Also read `cross_attention_dim` (`UNet2DConditionModel`).
 */
export function unetConfigFromWeights(shapes: ReadonlyMap<string, readonly number[]>, crossAttention = false): ModelConfig {
  const out: Record<string, unknown> = {};
  const inChannels = shapes.get('conv_in.weight')?.[1];
  if (inChannels !== undefined) out['in_channels'] = inChannels;
  const outChannels = shapes.get('conv_out.weight')?.[0];
  if (outChannels !== undefined) out['out_channels'] = outChannels;
  const levels = childIndices(shapes, 'down_blocks');
  const channels = levels.map((i) => shapes.get(`down_blocks.${i}.resnets.0.conv1.weight`)?.[0]);
  if (levels.length > 0 && channels.every((c) => c !== undefined)) out['block_out_channels'] = channels;
  const resnets = levels.map((i) => childIndices(shapes, `down_blocks.${i}.resnets`).length);
  if (levels.length > 0 && resnets.every((n) => n > 0)) {
    out['layers_per_block'] = resnets.every((n) => n === resnets[0]) ? resnets[0] : resnets;
  }
  if (crossAttention) {
    for (const [name, shape] of shapes) {
      if (name.endsWith('.attn2.to_k.weight') && shape.length === 2) {
        out['cross_attention_dim'] = shape[1];
        break;
      }
    }
  }
  return out;
}
