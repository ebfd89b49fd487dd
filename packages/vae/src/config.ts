import { z } from 'zod';
import { deepFreeze, parseVaeConfig } from './parse-config.js';

/** Activation names diffusers' `get_activation` accepts (`act_fn`). */
export const VAE_ACTIVATIONS = ['swish', 'silu', 'mish', 'gelu', 'relu'] as const;

/** Down block types the encoder supports (diffusers also accepts a `UNetRes` prefix). */
export const VAE_DOWN_BLOCK_TYPES = ['DownEncoderBlock2D'] as const;

/** Up block types the decoder supports (diffusers also accepts a `UNetRes` prefix). */
export const VAE_UP_BLOCK_TYPES = ['UpDecoderBlock2D'] as const;

const positiveInt = z.number().int().positive();
const finite = z.number().finite();

/** diffusers' `get_down_block` / `get_up_block` strip this prefix before dispatching. */
function blockKind(type: string): string {
  return type.startsWith('UNetRes') ? type.slice('UNetRes'.length) : type;
}

/**
 * The zod schema of diffusers' `AutoencoderKL` config: the keys of `config.json` with
 * diffusers 0.25's defaults (those of `AutoencoderKL.__init__`, e.g. `layers_per_block: 1`,
 * `block_out_channels: [64]`). Keys added by later diffusers versions (`shift_factor`,
 * `latents_mean`, `latents_std`, `use_quant_conv`, `use_post_quant_conv`,
 * `mid_block_add_attention`) are understood but not filled in, so a config that lacks them
 * is written back without them. Unknown keys are kept as they are.
 */
export const autoencoderKLConfigSchema = z
  .looseObject({
    /** Image channels in (3 for RGB). Default 3. */
    in_channels: positiveInt.default(3),
    /** Image channels out. Default 3. */
    out_channels: positiveInt.default(3),
    /** One encoder block type per level: `DownEncoderBlock2D`. Default `['DownEncoderBlock2D']`. */
    down_block_types: z.array(z.string()).min(1).default(['DownEncoderBlock2D']),
    /** One decoder block type per level: `UpDecoderBlock2D`. Default `['UpDecoderBlock2D']`. */
    up_block_types: z.array(z.string()).min(1).default(['UpDecoderBlock2D']),
    /** Channels of each level, highest resolution first; each a multiple of `norm_num_groups`. Default `[64]`. */
    block_out_channels: z.array(positiveInt).min(1).default([64]),
    /** ResNets per encoder block (decoder blocks have one more). Default 1. */
    layers_per_block: positiveInt.default(1),
    // A literal list rather than z.enum: same values and messages, but no synthetic
    // `{ swish: 'swish', ... }` object type in the declared type.
    /** Activation of the ResNets (the final `conv_act` is always SiLU). Default `'silu'`. */
    act_fn: z.literal(VAE_ACTIVATIONS).default('silu'),
    /** Latent channels (4 for SD). Default 4. */
    latent_channels: positiveInt.default(4),
    /** GroupNorm groups everywhere. Default 32. */
    norm_num_groups: positiveInt.default(32),
    /** Nominal image size in pixels, a side or `[height, width]`; informational. Default 32. */
    sample_size: z.union([positiveInt, z.tuple([positiveInt, positiveInt])]).default(32),
    /** Latents are multiplied by this before diffusion (0.18215 for SD 1.x/2.x). Default 0.18215. */
    scaling_factor: finite.default(0.18215),
    /** diffusers runs the VAE in float32 under fp16 pipelines; informational (always float32 here). Default `true`. */
    force_upcast: z.boolean().default(true),
    /** Subtracted before scaling (SD3/Flux); absent or `null` means 0. */
    shift_factor: finite.nullable().optional(),
    /** Per-channel latent means (SDXL-style configs), one per latent channel; kept, not used. */
    latents_mean: z.array(finite).nullable().optional(),
    /** Per-channel latent standard deviations, one per latent channel; kept, not used. */
    latents_std: z.array(finite).nullable().optional(),
    /** Whether `quant_conv` exists (absent means `true`). */
    use_quant_conv: z.boolean().optional(),
    /** Whether `post_quant_conv` exists (absent means `true`). */
    use_post_quant_conv: z.boolean().optional(),
    /** Whether the mid blocks have self-attention (absent means `true`). */
    mid_block_add_attention: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const levels = c.block_out_channels.length;
    if (c.down_block_types.length !== levels) {
      ctx.addIssue({
        code: 'custom',
        path: ['down_block_types'],
        message: `has ${c.down_block_types.length} entries but block_out_channels has ${levels}: give one down block per level`,
      });
    }
    if (c.up_block_types.length !== levels) {
      ctx.addIssue({
        code: 'custom',
        path: ['up_block_types'],
        message: `has ${c.up_block_types.length} entries but block_out_channels has ${levels}: give one up block per level`,
      });
    }
    c.down_block_types.forEach((type, i) => {
      if (!(VAE_DOWN_BLOCK_TYPES as readonly string[]).includes(blockKind(type))) {
        ctx.addIssue({
          code: 'custom',
          path: ['down_block_types', i],
          message: `'${type}' is not supported by AutoencoderKL: use ${VAE_DOWN_BLOCK_TYPES.join(', ')}`,
        });
      }
    });
    c.up_block_types.forEach((type, i) => {
      if (!(VAE_UP_BLOCK_TYPES as readonly string[]).includes(blockKind(type))) {
        ctx.addIssue({
          code: 'custom',
          path: ['up_block_types', i],
          message: `'${type}' is not supported by AutoencoderKL: use ${VAE_UP_BLOCK_TYPES.join(', ')}`,
        });
      }
    });
    c.block_out_channels.forEach((channels, i) => {
      if (channels % c.norm_num_groups !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['block_out_channels', i],
          message: `${channels} channels cannot be split into norm_num_groups = ${c.norm_num_groups} groups: use a multiple of it`,
        });
      }
    });
    for (const key of ['latents_mean', 'latents_std'] as const) {
      const stats = c[key];
      if (stats != null && stats.length !== c.latent_channels) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `has ${stats.length} entries but latent_channels is ${c.latent_channels}: give one per latent channel`,
        });
      }
    }
  });

/** What {@link parseAutoencoderKLConfig} accepts: any subset of the keys (defaults fill the rest), plus unknown keys. */
export type AutoencoderKLConfigInput = z.input<typeof autoencoderKLConfigSchema>;

/**
 * A complete, validated, frozen `AutoencoderKL` config with diffusers' key names (as in
 * `config.json`). Unknown keys (including `_class_name`, `_diffusers_version`) are kept.
 */
export interface AutoencoderKLConfig {
  /** Image channels in (3 for RGB). */
  readonly in_channels: number;
  /** Image channels out. */
  readonly out_channels: number;
  /** One encoder block type per level, all `DownEncoderBlock2D`. */
  readonly down_block_types: readonly string[];
  /** One decoder block type per level, all `UpDecoderBlock2D`. */
  readonly up_block_types: readonly string[];
  /** Channels of each level, highest resolution first (SD: `[128, 256, 512, 512]`). */
  readonly block_out_channels: readonly number[];
  /** Resnets per encoder block (decoder blocks have one more). */
  readonly layers_per_block: number;
  /** Activation of the resnets (the final `conv_act` is always SiLU, as in diffusers). */
  readonly act_fn: (typeof VAE_ACTIVATIONS)[number];
  /** Latent channels (4 for SD). */
  readonly latent_channels: number;
  /** GroupNorm groups everywhere. */
  readonly norm_num_groups: number;
  /** Nominal image size (used by diffusers' tiling; informational here). */
  readonly sample_size: number | readonly [number, number];
  /** Latents are multiplied by this before diffusion (0.18215 for SD 1.x/2.x). */
  readonly scaling_factor: number;
  /** diffusers runs the VAE in float32 when the pipeline is fp16; informational here (always float32). */
  readonly force_upcast: boolean;
  /** Subtracted before scaling (SD3/Flux); absent or `null` means 0. */
  readonly shift_factor?: number | null | undefined;
  /** Per-channel latent means (SDXL-style configs); kept, not used by the model. */
  readonly latents_mean?: readonly number[] | null | undefined;
  /** Per-channel latent standard deviations; kept, not used by the model. */
  readonly latents_std?: readonly number[] | null | undefined;
  /** Whether `quant_conv` exists (absent means `true`). */
  readonly use_quant_conv?: boolean | undefined;
  /** Whether `post_quant_conv` exists (absent means `true`). */
  readonly use_post_quant_conv?: boolean | undefined;
  /** Whether the mid blocks have self-attention (absent means `true`). */
  readonly mid_block_add_attention?: boolean | undefined;
  /** Unknown keys, kept for a lossless round trip. */
  readonly [key: string]: unknown;
}

// Compile-time guarantee that the schema's output fits the documented interface.
type SchemaOutput = z.output<typeof autoencoderKLConfigSchema>;
const schemaFitsInterface = (c: SchemaOutput): AutoencoderKLConfig => c;
void schemaFitsInterface;

/**
 * Validates a diffusers `AutoencoderKL` config and fills in diffusers' defaults.
 * @param input The parsed `config.json` or any subset of its keys. Not modified.
 * @returns A new frozen config; unknown keys are kept, except diffusers' internal
 *   `_use_default_values` and `_ignore_files`.
 * @throws {@link VaeConfigError} listing every invalid key, or if `_class_name` names another class.
 */
export function parseAutoencoderKLConfig(input: unknown): AutoencoderKLConfig {
  return deepFreeze(parseVaeConfig(input, 'AutoencoderKL', autoencoderKLConfigSchema) as AutoencoderKLConfig);
}
