import { z } from 'zod';
import { UnetConfigError } from '../errors.js';
import { levelChannels } from './level-plan.js';
import type { LevelPlan } from './level-plan.js';
import { activationName, blockTypeName, nonNegativeInt, parseConfig, positiveInt, sampleSize, timeScaleShift, unsupported } from './shared.js';

const CLASS = 'UNet2DModel';

/**
 * zod schema of a diffusers 0.25 `UNet2DModel` `config.json` (no text conditioning): every
 * `__init__` argument with diffusers' default, unknown keys kept for round trips. Parsing
 * checks types only; what this package cannot build is rejected by {@link resolveUNet2DConfig}.
 */
export const unet2DConfigSchema = z.looseObject({
  /** Height and width of the training samples; informational. Default `null`. */
  sample_size: sampleSize.default(null),
  /** Input channels. Default 3. */
  in_channels: positiveInt.default(3),
  /** Output channels. Default 3. */
  out_channels: positiveInt.default(3),
  /** Map the input from [0, 1] to [-1, 1] first (`2x - 1`). Default `false`. */
  center_input_sample: z.boolean().default(false),
  /** `'positional'` only (sinusoidal). */
  time_embedding_type: z.string().default('positional'),
  /** `downscale_freq_shift` of the timestep embedding. Default 0. */
  freq_shift: z.number().default(0),
  /** Cosines first in the timestep embedding. Default `true`. */
  flip_sin_to_cos: z.boolean().default(true),
  /** One type per level: `DownBlock2D` or `AttnDownBlock2D`. */
  down_block_types: z
    .array(z.string())
    .min(1)
    .default(() => ['DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D']),
  /** One type per level, deepest first: `UpBlock2D` or `AttnUpBlock2D`. */
  up_block_types: z
    .array(z.string())
    .min(1)
    .default(() => ['AttnUpBlock2D', 'AttnUpBlock2D', 'AttnUpBlock2D', 'UpBlock2D']),
  /** Channels of each level. Default `[224, 448, 672, 896]`. */
  block_out_channels: z.array(positiveInt).min(1).default(() => [224, 448, 672, 896]),
  /** ResNets per down block (up blocks have one more). Default 2. */
  layers_per_block: positiveInt.default(2),
  /** `output_scale_factor` of the mid block. Default 1. */
  mid_block_scale_factor: z.number().positive().default(1),
  /** Padding of the stride-2 downsampling convolutions. Default 1. */
  downsample_padding: nonNegativeInt.default(1),
  // Literal lists rather than z.enum: same values and messages, but no synthetic
  // `{ conv: 'conv', ... }` object type in the declared type.
  /** How `AttnDownBlock2D` downsamples: `'conv'` (stride-2 conv) or `'resnet'` (a ResNet with average pooling). */
  downsample_type: z.literal(['conv', 'resnet']).default('conv'),
  /** How `AttnUpBlock2D` upsamples: `'conv'` (nearest x2 + conv) or `'resnet'` (a ResNet with nearest x2). */
  upsample_type: z.literal(['conv', 'resnet']).default('conv'),
  /** Dropout of the ResNets. Default 0. */
  dropout: z.number().min(0).lt(1).default(0),
  /** Activation of the ResNets (the time embedding and output always use SiLU, as in diffusers). Default `'silu'`. */
  act_fn: activationName.default('silu'),
  /** Channels per attention head; `null` for one head. Default 8. */
  attention_head_dim: positiveInt.nullable().default(8),
  /** GroupNorm groups. Default 32. */
  norm_num_groups: positiveInt.default(32),
  /** Groups of the mid-block attention's GroupNorm. Default `null`: `norm_num_groups` (none with `'scale_shift'`). */
  attn_norm_num_groups: positiveInt.nullable().default(null),
  /** GroupNorm epsilon. Default `1e-5`. */
  norm_eps: z.number().positive().default(1e-5),
  /** ResNet time conditioning: `'default'` (add) or `'scale_shift'`. Default `'default'`. */
  resnet_time_scale_shift: timeScaleShift.default('default'),
  /** Self-attention in the mid block. Default `true`. */
  add_attention: z.boolean().default(true),
  /** Class conditioning (unsupported: must be `null`). */
  class_embed_type: z.string().nullable().default(null),
  /** Number of classes (unsupported: must be `null`). */
  num_class_embeds: z.number().nullable().default(null),
  /** Only for `'learned'` time embeddings (unsupported). Default `null`. */
  num_train_timesteps: z.number().nullable().default(null),
});

/** A complete, type-checked `UNet2DModel` config (diffusers keys; unknown keys kept). */
export type UNet2DConfig = z.output<typeof unet2DConfigSchema>;

/** What callers may pass to `UNet2DModel.fromConfig`: any subset of the keys. */
export type UNet2DConfigInput = z.input<typeof unet2DConfigSchema>;

/** Down block types a `UNet2DModel` can have here. */
export type Unet2DDownBlockType = 'DownBlock2D' | 'AttnDownBlock2D';
/** Up block types a `UNet2DModel` can have here. */
export type Unet2DUpBlockType = 'UpBlock2D' | 'AttnUpBlock2D';

/** One level of a `UNet2DModel`. */
export interface Unet2DLevelPlan<T extends string> extends LevelPlan<T> {
  /** Channels per attention head. */
  readonly attention_head_dim: number;
}

/** The expanded, validated build plan of a `UNet2DModel`. */
export interface UNet2DPlan {
  /** Width of the time embedding (`4 * block_out_channels[0]`). */
  readonly time_embed_dim: number;
  /** ResNet time conditioning. */
  readonly time_scale_shift: 'default' | 'scale_shift';
  /** Down levels, shallow to deep. */
  readonly down: ReadonlyArray<Unet2DLevelPlan<Unet2DDownBlockType>>;
  /** Up levels, deep to shallow. */
  readonly up: ReadonlyArray<Unet2DLevelPlan<Unet2DUpBlockType>>;
  /** Channels per head of the mid-block attention. */
  readonly mid_attention_head_dim: number;
  /** Groups of the mid-block attention's GroupNorm, or `null` for none. */
  readonly mid_attention_groups: number | null;
}

/**
 * Parses and validates a `UNet2DModel` config, filling in diffusers' defaults.
 * @throws {@link UnetConfigError} listing every mistyped key, or naming an unsupported option.
 */
export function parseUNet2DConfig(raw: unknown): UNet2DConfig {
  const parsed = parseConfig(unet2DConfigSchema, raw, CLASS);
  resolveUNet2DConfig(parsed);
  return parsed;
}

/**
 * Expands a parsed `UNet2DModel` config into a per-level plan, with diffusers' rules.
 * @throws {@link UnetConfigError} for unsupported options, unknown block types, inconsistent
 *   list lengths or channel counts the groups do not divide.
 */
export function resolveUNet2DConfig(c: UNet2DConfig): UNet2DPlan {
  if (c.time_embedding_type !== 'positional') {
    unsupported(CLASS, 'time_embedding_type', c.time_embedding_type, 'only "positional" (sinusoidal) time embeddings are implemented');
  }
  if (c.class_embed_type !== null || c.num_class_embeds !== null) {
    unsupported(CLASS, 'class_embed_type', c.class_embed_type ?? c.num_class_embeds, 'class embeddings are not implemented; use null');
  }
  if (c.resnet_time_scale_shift !== 'default' && c.resnet_time_scale_shift !== 'scale_shift') {
    unsupported(CLASS, 'resnet_time_scale_shift', c.resnet_time_scale_shift, 'use "default" or "scale_shift"');
  }
  const levels = c.down_block_types.length;
  if (c.up_block_types.length !== levels || c.block_out_channels.length !== levels) {
    throw new UnetConfigError(
      `${CLASS}: down_block_types (${levels}), up_block_types (${c.up_block_types.length}) and block_out_channels ` +
        `(${c.block_out_channels.length}) must have the same length, one entry per level.`,
    );
  }
  for (const ch of c.block_out_channels) {
    if (ch % c.norm_num_groups !== 0) {
      throw new UnetConfigError(`${CLASS}: norm_num_groups (${c.norm_num_groups}) must divide every block_out_channels entry; ${ch} is not a multiple.`);
    }
  }
  const downTypes = c.down_block_types.map(blockTypeName);
  const upTypes = c.up_block_types.map(blockTypeName);
  downTypes.forEach((t, i) => {
    if (t !== 'DownBlock2D' && t !== 'AttnDownBlock2D') {
      unsupported(CLASS, `down_block_types[${i}]`, t, 'use DownBlock2D or AttnDownBlock2D (cross-attention blocks need UNet2DConditionModel)');
    }
  });
  upTypes.forEach((t, i) => {
    if (t !== 'UpBlock2D' && t !== 'AttnUpBlock2D') {
      unsupported(CLASS, `up_block_types[${i}]`, t, 'use UpBlock2D or AttnUpBlock2D (cross-attention blocks need UNet2DConditionModel)');
    }
  });

  const channels = levelChannels(c.block_out_channels);
  const down = channels.down.map(
    (ch, i): Unet2DLevelPlan<Unet2DDownBlockType> => ({
      type: downTypes[i] as Unet2DDownBlockType,
      ...ch,
      num_layers: c.layers_per_block,
      attention_head_dim: c.attention_head_dim ?? ch.out_channels,
    }),
  );
  const up = channels.up.map(
    (ch, i): Unet2DLevelPlan<Unet2DUpBlockType> => ({
      type: upTypes[i] as Unet2DUpBlockType,
      ...ch,
      num_layers: c.layers_per_block + 1,
      attention_head_dim: c.attention_head_dim ?? ch.out_channels,
    }),
  );
  const timeScaleShiftValue = c.resnet_time_scale_shift as 'default' | 'scale_shift';
  const deepest = c.block_out_channels[levels - 1]!;
  return {
    time_embed_dim: c.block_out_channels[0]! * 4,
    time_scale_shift: timeScaleShiftValue,
    down,
    up,
    mid_attention_head_dim: c.attention_head_dim ?? deepest,
    // UNetMidBlock2D: attn_groups defaults to the ResNet groups only with the 'default' shift.
    mid_attention_groups: c.attn_norm_num_groups ?? (timeScaleShiftValue === 'default' ? c.norm_num_groups : null),
  };
}
