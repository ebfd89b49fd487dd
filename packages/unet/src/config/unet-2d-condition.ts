import { z } from 'zod';
import { UnetConfigError } from '../errors.js';
import { levelChannels } from './level-plan.js';
import type { LevelPlan } from './level-plan.js';
import {
  activationName,
  blockTypeName,
  intOrList,
  nonNegativeInt,
  parseConfig,
  perLevel,
  positiveInt,
  sampleSize,
  timeScaleShift,
  unsupported,
} from './shared.js';

const CLASS = 'UNet2DConditionModel';

const layersPerTransformer = z.union(
  [positiveInt, z.array(z.union([positiveInt, z.array(positiveInt).min(1)])).min(1)],
  { error: 'expected a positive integer, a list per level, or a list of lists per layer' },
);

/**
 * zod schema of a diffusers 0.25 `UNet2DConditionModel` `config.json`: every `__init__`
 * argument with diffusers' default, unknown keys kept (so `_class_name`, `_diffusers_version`
 * and keys of newer diffusers versions survive a round trip). Parsing checks types only; what
 * this package cannot build is rejected by {@link resolveUNet2DConditionConfig}.
 */
export const unet2DConditionConfigSchema = z.looseObject({
  /** Height and width of the training samples (latents); informational. Default `null`. */
  sample_size: sampleSize.default(null),
  /** Input channels (4 for SD latents, 8 for YONOS-SR: noisy latent + LR latent). Default 4. */
  in_channels: positiveInt.default(4),
  /** Output channels. Default 4. */
  out_channels: positiveInt.default(4),
  /** Map the input from [0, 1] to [-1, 1] first (`2x - 1`). Default `false`. */
  center_input_sample: z.boolean().default(false),
  /** Cosines first in the timestep embedding. Default `true`. */
  flip_sin_to_cos: z.boolean().default(true),
  /** `downscale_freq_shift` of the timestep embedding. Default 0. */
  freq_shift: z.number().default(0),
  /** One type per level: `CrossAttnDownBlock2D`, `DownBlock2D` or `AttnDownBlock2D`. */
  down_block_types: z
    .array(z.string())
    .min(1)
    .default(() => ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D']),
  /** `UNetMidBlock2DCrossAttn`, `UNetMidBlock2D` or `null` (no mid block). */
  mid_block_type: z.string().nullable().default('UNetMidBlock2DCrossAttn'),
  /** One type per level, deepest first: `UpBlock2D`, `CrossAttnUpBlock2D` or `AttnUpBlock2D`. */
  up_block_types: z
    .array(z.string())
    .min(1)
    .default(() => ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D']),
  /** Transformer blocks use cross-attention in `attn1` too (no self-attention); one value or one per level. */
  only_cross_attention: z
    .union([z.boolean(), z.array(z.boolean()).min(1)], { error: 'expected true/false or a list of them' })
    .default(false),
  /** Channels of each level. Default `[320, 640, 1280, 1280]`. */
  block_out_channels: z.array(positiveInt).min(1).default(() => [320, 640, 1280, 1280]),
  /** ResNets per down block (up blocks have one more); one value or one per level. Default 2. */
  layers_per_block: intOrList.default(2),
  /** Padding of the stride-2 downsampling convolutions. Default 1. */
  downsample_padding: nonNegativeInt.default(1),
  /** `output_scale_factor` of the mid block's ResNets. Default 1. */
  mid_block_scale_factor: z.number().positive().default(1),
  /** Dropout of the ResNets. Default 0. */
  dropout: z.number().min(0).lt(1).default(0),
  /** Activation of ResNets, time embedding and output. Default `'silu'`. */
  act_fn: activationName.default('silu'),
  /** GroupNorm groups everywhere (must divide every channel count). Default 32. */
  norm_num_groups: positiveInt.nullable().default(32),
  /** GroupNorm epsilon of ResNets and the output norm. Default `1e-5`. */
  norm_eps: z.number().positive().default(1e-5),
  /** Width of the cross-attention context (768 for SD 1.x, 1024 for SD 2.x); one value or one per level. Default 1280. */
  cross_attention_dim: intOrList.default(1280),
  /** Transformer blocks per attention layer: one value, one per level, or one list per level. Default 1. */
  transformer_layers_per_block: layersPerTransformer.default(1),
  /** Per-level lists of transformer blocks for the up path (needed with nested lists above). Default `null`. */
  reverse_transformer_layers_per_block: z.array(z.array(positiveInt).min(1)).min(1).nullable().default(null),
  /** Projection of the context (unsupported: must be `null`). */
  encoder_hid_dim: z.number().nullable().default(null),
  /** Projection type of the context (unsupported: must be `null`). */
  encoder_hid_dim_type: z.string().nullable().default(null),
  /**
   * Despite its name, the number of attention heads of the cross-attention levels (diffusers'
   * historical naming quirk); for `AttnDownBlock2D`/`AttnUpBlock2D` levels it is the channels per
   * head. One value or one per level. Default 8.
   */
  attention_head_dim: intOrList.default(8),
  /** The number of heads, if given (diffusers itself rejects it; here it replaces `attention_head_dim`). Default `null`. */
  num_attention_heads: intOrList.nullable().default(null),
  /** Dual transformers (unsupported: must be `false`). */
  dual_cross_attention: z.boolean().default(false),
  /** `proj_in`/`proj_out` of transformers are linear layers (SD 2.x) instead of 1x1 convolutions (SD 1.x). Default `false`. */
  use_linear_projection: z.boolean().default(false),
  /**
   * How class labels are embedded: `null` (a table of `num_class_embeds` rows when that is set,
   * otherwise no class conditioning), `'timestep'` (sinusoidal projection then an MLP),
   * `'identity'` (labels are `[N, time_embed_dim]` vectors), `'projection'` (an MLP from
   * `projection_class_embeddings_input_dim`) or `'simple_projection'` (one linear layer from it).
   * The result is added to (or, with `class_embeddings_concat`, concatenated with) the time
   * embedding. Default `null`.
   */
  class_embed_type: z.string().nullable().default(null),
  /** Additional embeddings (SDXL, Kandinsky; unsupported: must be `null`). */
  addition_embed_type: z.string().nullable().default(null),
  /** Width of additional time embeddings (only with `addition_embed_type`). Default `null`. */
  addition_time_embed_dim: z.number().nullable().default(null),
  /**
   * Rows of the class embedding table (`class_embedding.weight`, `[num_class_embeds, time_embed_dim]`),
   * used when `class_embed_type` is `null`: labels are integers in `[0, num_class_embeds)`. The Stable
   * Diffusion x4 upscaler has 1000 and feeds its noise level as the label. Default `null`.
   */
  num_class_embeds: positiveInt.nullable().default(null),
  /** Attention in float32 under mixed precision; everything here is float32, so it changes nothing. Default `false`. */
  upcast_attention: z.boolean().default(false),
  /** ResNet time conditioning: `'default'` (add) or `'scale_shift'`. Default `'default'`. */
  resnet_time_scale_shift: timeScaleShift.default('default'),
  /** Used only by block types this package does not build; kept for round trips. Default `false`. */
  resnet_skip_time_act: z.boolean().default(false),
  /** Used only by block types this package does not build; kept for round trips. Default 1. */
  resnet_out_scale_factor: z.number().default(1.0),
  /** `'positional'` only (sinusoidal). */
  time_embedding_type: z.string().default('positional'),
  /** Width of the time embedding. Default `null`: `4 * block_out_channels[0]`. */
  time_embedding_dim: positiveInt.nullable().default(null),
  /** Activation applied once to the time embedding before the blocks. Default `null`. */
  time_embedding_act_fn: activationName.nullable().default(null),
  /** Activation after the time embedding's `linear_2`. Default `null`. */
  timestep_post_act: activationName.nullable().default(null),
  /** Width of an optional condition added to the time projection (builds `time_embedding.cond_proj`). Default `null`. */
  time_cond_proj_dim: positiveInt.nullable().default(null),
  /** Kernel of `conv_in` (odd). Default 3. */
  conv_in_kernel: positiveInt.default(3),
  /** Kernel of `conv_out` (odd). Default 3. */
  conv_out_kernel: positiveInt.default(3),
  /** Width of the label vectors of `class_embed_type` `'projection'` / `'simple_projection'` (required by both). Default `null`. */
  projection_class_embeddings_input_dim: positiveInt.nullable().default(null),
  /** `'default'` only (GLIGEN's gated attention is unsupported). */
  attention_type: z.string().default('default'),
  /**
   * Concatenate the class embedding to the time embedding instead of adding it, so the blocks
   * see a time embedding twice as wide. Needs a class embedding. Default `false`.
   */
  class_embeddings_concat: z.boolean().default(false),
  /** Used only by `UNetMidBlock2DSimpleCrossAttn`; kept for round trips. Default `null`. */
  mid_block_only_cross_attention: z.boolean().nullable().default(null),
  /** Used only by `SimpleCrossAttn` blocks; kept for round trips. Default `null`. */
  cross_attention_norm: z.string().nullable().default(null),
  /** Heads of a text-time addition embedding (only with `addition_embed_type`). Default 64. */
  addition_embed_type_num_heads: z.number().default(64),
});

/** A complete, type-checked `UNet2DConditionModel` config (diffusers keys; unknown keys kept). */
export type UNet2DConditionConfig = z.output<typeof unet2DConditionConfigSchema>;

/** What callers may pass to `UNet2DConditionModel.fromConfig`: any subset of the keys (the rest take diffusers' defaults). */
export type UNet2DConditionConfigInput = z.input<typeof unet2DConditionConfigSchema>;

/** Down block types a `UNet2DConditionModel` can have here. */
export type ConditionDownBlockType = 'DownBlock2D' | 'CrossAttnDownBlock2D' | 'AttnDownBlock2D';
/** Up block types a `UNet2DConditionModel` can have here. */
export type ConditionUpBlockType = 'UpBlock2D' | 'CrossAttnUpBlock2D' | 'AttnUpBlock2D';

/** Everything one level of the U-Net needs, expanded from the per-level config lists. */
export interface ConditionLevelPlan<T extends string> extends LevelPlan<T> {
  /** Transformer blocks of each attention layer (length `num_layers`). */
  readonly transformer_layers: readonly number[];
  /** Context width of the cross-attention. */
  readonly cross_attention_dim: number;
  /** Heads of the transformers (`num_attention_heads` after the naming fix). */
  readonly num_attention_heads: number;
  /** Channels per head of `Attn*Block2D` self-attention. */
  readonly attention_head_dim: number;
  /** `attn1` attends to the context instead of itself. */
  readonly only_cross_attention: boolean;
}

/** diffusers' `class_embed_type` values, with `'embedding'` for `null` with `num_class_embeds` (a table). */
export type ClassEmbedType = 'embedding' | 'timestep' | 'identity' | 'projection' | 'simple_projection';

/** How a `UNet2DConditionModel` embeds class labels (its `class_embedding`), resolved from the config. */
export interface ClassEmbeddingPlan {
  /** Which module embeds the labels. */
  readonly type: ClassEmbedType;
  /** Rows of the table (`'embedding'` only), else `null`. */
  readonly num_class_embeds: number | null;
  /** Width of label vectors (`'projection'`, `'simple_projection'`; `time_embed_dim` for `'identity'`), else `null`. */
  readonly input_dim: number | null;
  /** Concatenated to the time embedding (`class_embeddings_concat`) instead of added. */
  readonly concat: boolean;
}

/** The expanded, validated build plan of a `UNet2DConditionModel`. */
export interface UNet2DConditionPlan {
  /** Width of the time embedding. */
  readonly time_embed_dim: number;
  /** Width of the embedding the blocks' ResNets take: twice `time_embed_dim` with `class_embeddings_concat`. */
  readonly blocks_time_embed_dim: number;
  /** The class embedding, or `null` without class conditioning. */
  readonly class_embedding: ClassEmbeddingPlan | null;
  /** ResNet time conditioning. */
  readonly time_scale_shift: 'default' | 'scale_shift';
  /** GroupNorm groups. */
  readonly groups: number;
  /** Down levels, shallow to deep. */
  readonly down: ReadonlyArray<ConditionLevelPlan<ConditionDownBlockType>>;
  /** Up levels, deep to shallow. */
  readonly up: ReadonlyArray<ConditionLevelPlan<ConditionUpBlockType>>;
  /** Mid block type, or `null`. */
  readonly mid: 'UNetMidBlock2DCrossAttn' | 'UNetMidBlock2D' | null;
  /** Transformer blocks of the mid block's single attention layer (`[depth]`). */
  readonly mid_transformer_layers: readonly number[];
}

const DOWN_TYPES: readonly string[] = ['DownBlock2D', 'CrossAttnDownBlock2D', 'AttnDownBlock2D'];
const UP_TYPES: readonly string[] = ['UpBlock2D', 'CrossAttnUpBlock2D', 'AttnUpBlock2D'];

function rejectUnsupported(c: UNet2DConditionConfig): void {
  const reject = (key: string, value: unknown, hint: string): never => unsupported(CLASS, key, value, hint);
  if (c.addition_embed_type !== null) {
    reject('addition_embed_type', c.addition_embed_type, 'addition embeddings (SDXL, Kandinsky) are not implemented; use null');
  }
  if (c.encoder_hid_dim !== null || c.encoder_hid_dim_type !== null) {
    reject('encoder_hid_dim', c.encoder_hid_dim ?? c.encoder_hid_dim_type, 'context projections are not implemented; use null');
  }
  if (c.dual_cross_attention) reject('dual_cross_attention', true, 'dual transformers are not implemented; use false');
  if (c.time_embedding_type !== 'positional') {
    reject('time_embedding_type', c.time_embedding_type, 'only "positional" (sinusoidal) time embeddings are implemented');
  }
  if (c.attention_type !== 'default') reject('attention_type', c.attention_type, 'only "default" attention is implemented');
  if (c.resnet_time_scale_shift !== 'default' && c.resnet_time_scale_shift !== 'scale_shift') {
    reject('resnet_time_scale_shift', c.resnet_time_scale_shift, 'use "default" or "scale_shift"');
  }
  if (c.norm_num_groups === null) {
    reject('norm_num_groups', null, "the ResNets need GroupNorm groups (diffusers' blocks fail too); give an integer such as 32");
  }
  if (c.conv_in_kernel % 2 === 0 || c.conv_out_kernel % 2 === 0) {
    reject('conv_in_kernel/conv_out_kernel', [c.conv_in_kernel, c.conv_out_kernel], 'use odd kernel sizes so the size is kept');
  }
  if (c.mid_block_type !== null && c.mid_block_type !== 'UNetMidBlock2DCrossAttn' && c.mid_block_type !== 'UNetMidBlock2D') {
    reject('mid_block_type', c.mid_block_type, 'use "UNetMidBlock2DCrossAttn", "UNetMidBlock2D" or null');
  }
}

const CLASS_EMBED_TYPES: readonly string[] = ['timestep', 'identity', 'projection', 'simple_projection'];

/**
 * diffusers' choice of class embedding: a table when `class_embed_type` is `null` and
 * `num_class_embeds` is set (with any type, diffusers ignores `num_class_embeds`), the named
 * module otherwise. diffusers silently builds none for an unknown type; that is refused here, as
 * is `class_embeddings_concat` without a class embedding (diffusers builds it, then fails in
 * `forward` on the widened time embedding).
 */
function resolveClassEmbedding(c: UNet2DConditionConfig, timeEmbedDim: number): ClassEmbeddingPlan | null {
  const type = c.class_embed_type;
  const concat = c.class_embeddings_concat;
  if (type !== null && !CLASS_EMBED_TYPES.includes(type)) {
    unsupported(CLASS, 'class_embed_type', type, `use null (with num_class_embeds for a table), ${CLASS_EMBED_TYPES.map((t) => `"${t}"`).join(', ')}`);
  }
  if (type === null) {
    if (c.num_class_embeds !== null) return { type: 'embedding', num_class_embeds: c.num_class_embeds, input_dim: null, concat };
    if (concat) {
      throw new UnetConfigError(
        `${CLASS}: class_embeddings_concat is true but there is no class embedding (class_embed_type and num_class_embeds are null); ` +
          'set num_class_embeds or class_embed_type, or set class_embeddings_concat to false.',
      );
    }
    return null;
  }
  if (type === 'projection' || type === 'simple_projection') {
    const inputDim = c.projection_class_embeddings_input_dim;
    if (inputDim === null) {
      throw new UnetConfigError(
        `${CLASS}: class_embed_type "${type}" needs projection_class_embeddings_input_dim (the width of the label vectors); set it.`,
      );
    }
    return { type, num_class_embeds: null, input_dim: inputDim, concat };
  }
  return { type: type as 'timestep' | 'identity', num_class_embeds: null, input_dim: type === 'identity' ? timeEmbedDim : null, concat };
}

function transformerLayers(
  value: number | ReadonlyArray<number | readonly number[]>,
  level: number,
  numLayers: number,
  key: string,
): number[] {
  const entry = typeof value === 'number' ? value : value[level]!;
  if (typeof entry === 'number') return Array.from({ length: numLayers }, () => entry);
  if (entry.length !== numLayers) {
    throw new UnetConfigError(
      `${CLASS}: ${key}[${level}] lists ${entry.length} transformer depths but the block has ${numLayers} layers; give one per layer.`,
    );
  }
  return [...entry];
}

/**
 * Applies the `num_attention_heads` naming fix to a parsed config so that it means what
 * diffusers would build: when `num_attention_heads` is given it becomes `attention_head_dim`
 * (which, for cross-attention levels, *is* the head count in diffusers) and is reset to
 * `null`, so diffusers (which refuses `num_attention_heads`) can read a saved config.
 * @throws {@link UnetConfigError} if the config also has `Attn*Block2D` levels, where
 *   `attention_head_dim` means channels per head and the two cannot be merged.
 */
export function normalizeUNet2DConditionConfig(c: UNet2DConditionConfig): UNet2DConditionConfig {
  if (c.num_attention_heads === null) return c;
  const types = [...c.down_block_types, ...c.up_block_types].map(blockTypeName);
  if (types.some((t) => t === 'AttnDownBlock2D' || t === 'AttnUpBlock2D')) {
    throw new UnetConfigError(
      `${CLASS}: num_attention_heads cannot be combined with AttnDownBlock2D/AttnUpBlock2D levels (there attention_head_dim ` +
        'is the channels per head); give the cross-attention head counts in attention_head_dim instead, as diffusers does.',
    );
  }
  return { ...c, attention_head_dim: c.num_attention_heads, num_attention_heads: null };
}

/**
 * Parses and validates a `UNet2DConditionModel` config (diffusers `config.json` object, or
 * any subset of its keys), filling in diffusers' defaults.
 * @throws {@link UnetConfigError} listing every mistyped key, or naming an unsupported option.
 */
export function parseUNet2DConditionConfig(raw: unknown): UNet2DConditionConfig {
  const parsed = normalizeUNet2DConditionConfig(parseConfig(unet2DConditionConfigSchema, raw, CLASS));
  resolveUNet2DConditionConfig(parsed);
  return parsed;
}

/**
 * Expands a parsed config into a per-level build plan, with diffusers' rules: head counts from
 * `attention_head_dim` (the naming quirk), up levels reversed, one more ResNet per up block,
 * skip widths from the mirrored down level.
 * @throws {@link UnetConfigError} for inconsistent list lengths, unknown block types, or
 *   channel counts the GroupNorm groups do not divide.
 */
export function resolveUNet2DConditionConfig(c: UNet2DConditionConfig): UNet2DConditionPlan {
  rejectUnsupported(c);
  const levels = c.down_block_types.length;
  if (c.up_block_types.length !== levels) {
    throw new UnetConfigError(
      `${CLASS}: down_block_types has ${levels} entries but up_block_types has ${c.up_block_types.length}; give as many of each.`,
    );
  }
  if (c.block_out_channels.length !== levels) {
    throw new UnetConfigError(
      `${CLASS}: block_out_channels has ${c.block_out_channels.length} entries but there are ${levels} down blocks; give one per level.`,
    );
  }
  const groups = c.norm_num_groups!;
  for (const ch of c.block_out_channels) {
    if (ch % groups !== 0) {
      throw new UnetConfigError(`${CLASS}: norm_num_groups (${groups}) must divide every block_out_channels entry; ${ch} is not a multiple.`);
    }
  }
  const downTypes = c.down_block_types.map(blockTypeName);
  const upTypes = c.up_block_types.map(blockTypeName);
  downTypes.forEach((t, i) => {
    if (!DOWN_TYPES.includes(t)) unsupported(CLASS, `down_block_types[${i}]`, t, `use one of ${DOWN_TYPES.join(', ')}`);
  });
  upTypes.forEach((t, i) => {
    if (!UP_TYPES.includes(t)) unsupported(CLASS, `up_block_types[${i}]`, t, `use one of ${UP_TYPES.join(', ')}`);
  });

  const heads = perLevel(CLASS, 'attention_head_dim', c.attention_head_dim, levels);
  const headDims = heads; // diffusers passes the same list as the per-head width of Attn*Block2D.
  const crossDims = perLevel(CLASS, 'cross_attention_dim', c.cross_attention_dim, levels);
  if (crossDims.some((d) => d !== crossDims[0])) {
    // One context tensor feeds every level (diffusers' forward too), so differing widths cannot run.
    throw new UnetConfigError(
      `${CLASS}: cross_attention_dim [${crossDims.join(', ')}] differs between levels, but one context feeds every level; give one width.`,
    );
  }
  const onlyCross = perLevel(CLASS, 'only_cross_attention', c.only_cross_attention, levels);
  const layers = perLevel(CLASS, 'layers_per_block', c.layers_per_block, levels);
  const tlpb = c.transformer_layers_per_block;
  if (Array.isArray(tlpb)) {
    if (tlpb.length !== levels) {
      throw new UnetConfigError(
        `${CLASS}: transformer_layers_per_block has ${tlpb.length} entries but there are ${levels} down blocks; give one per level.`,
      );
    }
    if (tlpb.some((e) => Array.isArray(e)) && c.reverse_transformer_layers_per_block === null) {
      throw new UnetConfigError(
        `${CLASS}: transformer_layers_per_block has per-layer lists; give reverse_transformer_layers_per_block for the up path too.`,
      );
    }
  }
  const reverseTlpb = c.reverse_transformer_layers_per_block;
  if (reverseTlpb !== null && reverseTlpb.length !== levels) {
    throw new UnetConfigError(
      `${CLASS}: reverse_transformer_layers_per_block has ${reverseTlpb.length} entries but there are ${levels} up blocks.`,
    );
  }

  const channels = levelChannels(c.block_out_channels);
  const down: Array<ConditionLevelPlan<ConditionDownBlockType>> = [];
  for (let i = 0; i < levels; i++) {
    down.push({
      type: downTypes[i] as ConditionDownBlockType,
      ...channels.down[i]!,
      num_layers: layers[i]!,
      transformer_layers: transformerLayers(tlpb, i, layers[i]!, 'transformer_layers_per_block'),
      cross_attention_dim: crossDims[i]!,
      num_attention_heads: heads[i]!,
      attention_head_dim: headDims[i]!,
      only_cross_attention: onlyCross[i]!,
    });
  }

  const rev = <T>(xs: readonly T[]): T[] => [...xs].reverse();
  const revLayers = rev(layers);
  const up: Array<ConditionLevelPlan<ConditionUpBlockType>> = [];
  for (let i = 0; i < levels; i++) {
    const numLayers = revLayers[i]! + 1;
    const depth =
      reverseTlpb !== null
        ? transformerLayers(reverseTlpb, i, numLayers, 'reverse_transformer_layers_per_block')
        : transformerLayers(Array.isArray(tlpb) ? rev(tlpb) : tlpb, i, numLayers, 'transformer_layers_per_block');
    up.push({
      type: upTypes[i] as ConditionUpBlockType,
      ...channels.up[i]!,
      num_layers: numLayers,
      transformer_layers: depth,
      cross_attention_dim: rev(crossDims)[i]!,
      num_attention_heads: rev(heads)[i]!,
      attention_head_dim: headDims[i]!, // diffusers indexes the un-reversed list here (sic).
      only_cross_attention: rev(onlyCross)[i]!,
    });
  }

  const lastTlpb = typeof tlpb === 'number' ? tlpb : tlpb[levels - 1]!;
  const timeEmbedDim = c.time_embedding_dim ?? c.block_out_channels[0]! * 4;
  const classEmbedding = resolveClassEmbedding(c, timeEmbedDim);
  return {
    time_embed_dim: timeEmbedDim,
    blocks_time_embed_dim: classEmbedding?.concat === true ? 2 * timeEmbedDim : timeEmbedDim,
    class_embedding: classEmbedding,
    time_scale_shift: c.resnet_time_scale_shift as 'default' | 'scale_shift',
    groups,
    down,
    up,
    mid: c.mid_block_type as UNet2DConditionPlan['mid'],
    // The mid block has one attention layer: of a per-layer list, diffusers uses the first entry.
    mid_transformer_layers: [typeof lastTlpb === 'number' ? lastTlpb : lastTlpb[0]!],
  };
}
