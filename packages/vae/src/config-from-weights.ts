import { childIndices } from '@yonos/core/internal';
import type { ModelConfig } from '@yonos/core';

type Shapes = ReadonlyMap<string, readonly number[]>;

/** Dimension `axis` of tensor `name`, or `undefined` when the state dict lacks it. */
function dim(shapes: Shapes, name: string, axis: number): number | undefined {
  return shapes.get(name)?.[axis];
}

/** `config` without the keys whose value is `undefined` (what the weights cannot tell). */
function known(config: Record<string, unknown>): ModelConfig {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
}

/**
 * The `AutoencoderKL` config keys a state dict's PyTorch shapes imply: `in_channels`
 * (`encoder.conv_in`), `block_out_channels` (each encoder level's first ResNet),
 * `layers_per_block` (ResNets of the first encoder level), `latent_channels` (`decoder.conv_in`)
 * and `out_channels` (`decoder.conv_out`). Keys the state dict cannot tell are left out.
 */
export function autoencoderKLConfigFromWeights(shapes: Shapes): ModelConfig {
  const levels = childIndices(shapes, 'encoder.down_blocks');
  const channels = levels.map((i) => dim(shapes, `encoder.down_blocks.${i}.resnets.0.conv1.weight`, 0));
  const resnets = childIndices(shapes, 'encoder.down_blocks.0.resnets').length;
  return known({
    in_channels: dim(shapes, 'encoder.conv_in.weight', 1),
    block_out_channels: levels.length > 0 && channels.every((c) => c !== undefined) ? channels : undefined,
    layers_per_block: resnets > 0 ? resnets : undefined,
    latent_channels: dim(shapes, 'decoder.conv_in.weight', 1),
    out_channels: dim(shapes, 'decoder.conv_out.weight', 0),
  });
}

/**
 * One `EncoderTiny` / `DecoderTiny` `layers` list read from names: the plain convs
 * (`layers.<i>.weight`) in order, and the number of `AutoencoderTinyBlock`s
 * (`layers.<i>.conv.0.weight`) after each of them.
 */
function tinyLayers(shapes: Shapes, prefix: string): { convs: Array<readonly number[]>; blocksAfter: number[] } {
  const convs: Array<readonly number[]> = [];
  const blocksAfter: number[] = [];
  for (const i of childIndices(shapes, prefix)) {
    const conv = shapes.get(`${prefix}.${i}.weight`);
    if (conv !== undefined) {
      convs.push(conv);
      blocksAfter.push(0);
    } else if (shapes.has(`${prefix}.${i}.conv.0.weight`) && blocksAfter.length > 0) {
      blocksAfter[blocksAfter.length - 1]! += 1;
    }
  }
  return { convs, blocksAfter };
}

/**
 * The `AutoencoderTiny` config keys a state dict's PyTorch shapes imply: `in_channels`,
 * `latent_channels`, `out_channels`, the encoder and decoder level widths and block counts
 * (`encoder_block_out_channels`, `num_encoder_blocks`, `decoder_block_out_channels`,
 * `num_decoder_blocks`). Keys the state dict cannot tell are left out.
 */
export function autoencoderTinyConfigFromWeights(shapes: Shapes): ModelConfig {
  // Encoder: conv (level 0), blocks, [stride-2 conv, blocks] per further level, then the latent conv.
  const enc = tinyLayers(shapes, 'encoder.layers');
  const encLevels = enc.convs.length - 1;
  const encWidth = enc.convs[0]?.[0];
  // Decoder: conv + activation, then per level blocks, [upsample], conv (the last one to the image).
  const dec = tinyLayers(shapes, 'decoder.layers');
  const decLevels = dec.convs.length - 1;
  const decWidth = dec.convs[0]?.[0];
  return known({
    in_channels: enc.convs[0]?.[1],
    latent_channels: encLevels >= 1 ? enc.convs[encLevels]?.[0] : undefined,
    encoder_block_out_channels: encLevels >= 1 && encWidth !== undefined ? Array(encLevels).fill(encWidth) : undefined,
    num_encoder_blocks: encLevels >= 1 ? enc.blocksAfter.slice(0, encLevels) : undefined,
    out_channels: decLevels >= 1 ? dec.convs[decLevels]?.[0] : undefined,
    decoder_block_out_channels: decLevels >= 1 && decWidth !== undefined ? Array(decLevels).fill(decWidth) : undefined,
    // Level i's blocks follow conv i (conv 0 is the input conv).
    num_decoder_blocks: decLevels >= 1 ? dec.blocksAfter.slice(0, decLevels) : undefined,
  });
}
