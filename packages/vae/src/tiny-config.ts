import { z } from 'zod';
import { VAE_ACTIVATIONS } from './config.js';
import { deepFreeze, parseVaeConfig } from './parse-config.js';

/**
 * `upsample_fn` values {@link AutoencoderTiny} accepts: those that decode as diffusers 0.25's
 * `DecoderTiny` does (it has no `upsample_fn` and always uses `nn.Upsample(mode='nearest')`;
 * `nearest-exact` picks the same pixels with an integer scale factor). Later diffusers versions
 * also accept other modes such as `bilinear`, which 0.25 ignores (with a warning) and so decodes
 * differently; the config parser refuses them.
 */
export const TINY_UPSAMPLE_MODES = ['nearest', 'nearest-exact'] as const;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const finite = z.number().finite();

/**
 * The zod schema of diffusers' `AutoencoderTiny` (TAESD) config: the keys of `config.json`
 * with the defaults of diffusers 0.25's `AutoencoderTiny.__init__` (four levels of 64 channels,
 * encoder blocks `[1, 3, 3, 3]`, decoder blocks `[3, 3, 3, 1]`, ReLU, 4 latent channels).
 * Unknown keys are kept. diffusers also records `block_out_channels` (=
 * `decoder_block_out_channels`) and forces `force_upcast: false`; the parser does the same.
 *
 * Two keys of later diffusers versions are understood but kept only where they change
 * something, since diffusers 0.25 ignores both (with a warning): `upsample_fn` (only the modes
 * 0.25 decodes identically, {@link TINY_UPSAMPLE_MODES}, are accepted, and then dropped) and
 * `shift_factor` (kept when not 0; see the key).
 */
export const autoencoderTinyConfigSchema = z
  .looseObject({
    /** Image channels in (3 for RGB). Default 3. */
    in_channels: positiveInt.default(3),
    /** Image channels out. Default 3. */
    out_channels: positiveInt.default(3),
    /** Channels of each encoder level, highest resolution first. Default `[64, 64, 64, 64]`. */
    encoder_block_out_channels: z.array(positiveInt).min(1).default([64, 64, 64, 64]),
    /** Channels of each decoder level, lowest resolution first. Default `[64, 64, 64, 64]`. */
    decoder_block_out_channels: z.array(positiveInt).min(1).default([64, 64, 64, 64]),
    /** Activation inside the blocks and after the decoder's first conv (the blocks' `fuse` is always ReLU). Default `'relu'`. */
    act_fn: z.literal(VAE_ACTIVATIONS).default('relu'),
    /**
     * `nn.Upsample` mode of the decoder (a key of later diffusers versions). `'nearest'` or
     * `'nearest-exact'`, which decode as diffusers 0.25 does and are dropped from the parsed
     * config; other modes (`'bilinear'`, ...) are refused, since diffusers 0.25 would decode the
     * same weights with nearest upsampling.
     */
    upsample_fn: z.string().optional(),
    /** Latent channels. Default 4. */
    latent_channels: positiveInt.default(4),
    /** Scale factor of each decoder upsampling. Default 2. */
    upsampling_scaling_factor: positiveInt.default(2),
    /** `AutoencoderTinyBlock`s after each encoder level's first conv. Default `[1, 3, 3, 3]`. */
    num_encoder_blocks: z.array(nonNegativeInt).min(1).default([1, 3, 3, 3]),
    /** `AutoencoderTinyBlock`s of each decoder level. Default `[3, 3, 3, 1]`. */
    num_decoder_blocks: z.array(nonNegativeInt).min(1).default([3, 3, 3, 1]),
    /** Latents are stored as `clamp(z / (2 * latent_magnitude) + latent_shift, 0, 1)` bytes by diffusers' `forward`. Default 3. */
    latent_magnitude: finite.default(3),
    /** See `latent_magnitude`. Default 0.5. */
    latent_shift: finite.default(0.5),
    /** Always written `false`, as diffusers does; informational (YONOS runs float32). */
    force_upcast: z.boolean().default(false),
    /** Latents are multiplied by this before diffusion. Default 1. */
    scaling_factor: finite.default(1),
    /**
     * Subtracted from latents before scaling (a key of later diffusers versions; absent or
     * `null` means 0, and 0 is dropped from the parsed config). The autoencoder's own
     * `encode`/`decode` never use it, only pipelines do: YONOS's pipeline computes
     * `(z - shift_factor) * scaling_factor`, while diffusers 0.25 ignores the key (with a
     * warning) and its pipelines apply `scaling_factor` only, so a non-zero value is a convention
     * diffusers 0.25 pipelines cannot reproduce.
     */
    shift_factor: finite.nullable().optional(),
    /** diffusers registers `decoder_block_out_channels` under this name; it is rewritten from it. */
    block_out_channels: z.array(positiveInt).optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: Array<string | number>, message: string): void => ctx.addIssue({ code: 'custom', path, message });
    const upsample = c.upsample_fn;
    if (upsample !== undefined && !(TINY_UPSAMPLE_MODES as readonly string[]).includes(upsample)) {
      issue(
        ['upsample_fn'],
        `is ${JSON.stringify(upsample)}, which diffusers 0.25 cannot reproduce: its AutoencoderTiny has no upsample_fn and always ` +
          `upsamples with "nearest", so the same weights would decode differently there. Use "nearest" (or remove the key) ` +
          `for weights trained with nearest upsampling; other modes are not supported`,
      );
    }
    if (c.encoder_block_out_channels.length !== c.num_encoder_blocks.length) {
      issue(
        ['num_encoder_blocks'],
        `has ${c.num_encoder_blocks.length} entries but encoder_block_out_channels has ${c.encoder_block_out_channels.length}: give one per encoder level`,
      );
    }
    if (c.decoder_block_out_channels.length !== c.num_decoder_blocks.length) {
      issue(
        ['num_decoder_blocks'],
        `has ${c.num_decoder_blocks.length} entries but decoder_block_out_channels has ${c.decoder_block_out_channels.length}: give one per decoder level`,
      );
    }
    // diffusers builds every stride-2 conv and every post-upsample conv as channels -> channels
    // of its own level, so levels of different widths would fail at the first forward pass.
    for (const key of ['encoder_block_out_channels', 'decoder_block_out_channels'] as const) {
      const list = c[key];
      list.forEach((ch, i) => {
        if (ch !== list[0]) {
          issue([key, i], `is ${ch} but level 0 has ${list[0]}: AutoencoderTiny's levels must all have the same width (its convs map each level's width to itself)`);
        }
      });
    }
    const down = 2 ** (c.encoder_block_out_channels.length - 1);
    const up = c.upsampling_scaling_factor ** (c.decoder_block_out_channels.length - 1);
    if (down !== up) {
      issue(
        ['decoder_block_out_channels'],
        `the encoder downsamples by ${down} (2^(levels-1)) but the decoder upsamples by ${up} (upsampling_scaling_factor^(levels-1)): make them equal`,
      );
    }
  });

/** What {@link parseAutoencoderTinyConfig} accepts: any subset of the keys (defaults fill the rest), plus unknown keys. */
export type AutoencoderTinyConfigInput = z.input<typeof autoencoderTinyConfigSchema>;

/** A complete, validated, frozen `AutoencoderTiny` config with diffusers' key names. Unknown keys are kept. */
export interface AutoencoderTinyConfig {
  /** Image channels in. */
  readonly in_channels: number;
  /** Image channels out. */
  readonly out_channels: number;
  /** Channels of each encoder level (all equal). */
  readonly encoder_block_out_channels: readonly number[];
  /** Channels of each decoder level (all equal). */
  readonly decoder_block_out_channels: readonly number[];
  /** Block activation (the blocks' `fuse` is always ReLU). */
  readonly act_fn: (typeof VAE_ACTIVATIONS)[number];
  /** Latent channels. */
  readonly latent_channels: number;
  /** Scale factor of each decoder upsampling. */
  readonly upsampling_scaling_factor: number;
  /** Blocks per encoder level. */
  readonly num_encoder_blocks: readonly number[];
  /** Blocks per decoder level. */
  readonly num_decoder_blocks: readonly number[];
  /** Byte-quantization range of diffusers' `forward` (informational). */
  readonly latent_magnitude: number;
  /** Byte-quantization shift of diffusers' `forward` (informational). */
  readonly latent_shift: number;
  /** Always `false` (diffusers forces it). */
  readonly force_upcast: boolean;
  /** Latents are multiplied by this before diffusion. */
  readonly scaling_factor: number;
  /**
   * Subtracted from latents before scaling, by pipelines only; present only when not 0 (see
   * {@link autoencoderTinyConfigSchema}: diffusers 0.25 pipelines ignore it).
   */
  readonly shift_factor?: number;
  /** Equal to `decoder_block_out_channels` (what diffusers registers; pipelines read it for the VAE scale factor). */
  readonly block_out_channels: readonly number[];
  /** Unknown keys, kept for a lossless round trip. */
  readonly [key: string]: unknown;
}

/**
 * Validates a diffusers `AutoencoderTiny` config and fills in diffusers 0.25's defaults.
 * @param input The parsed `config.json` or any subset of its keys. Not modified.
 * @returns A new frozen config with `block_out_channels` set to `decoder_block_out_channels`
 *   and `force_upcast: false`, as diffusers registers them, and without the later-version keys
 *   that would change nothing (`upsample_fn` of a nearest mode, `shift_factor` 0 or `null`), so
 *   a saved config holds only what diffusers 0.25 reads the same way (plus a non-zero
 *   `shift_factor`).
 * @throws {@link VaeConfigError} listing every invalid key (an `upsample_fn` diffusers 0.25
 *   cannot reproduce among them), or if `_class_name` names another class.
 */
export function parseAutoencoderTinyConfig(input: unknown): AutoencoderTinyConfig {
  const { upsample_fn: _nearest, shift_factor: shift, ...data } = parseVaeConfig(input, 'AutoencoderTiny', autoencoderTinyConfigSchema);
  return deepFreeze({
    ...data,
    ...(shift !== undefined && shift !== null && shift !== 0 ? { shift_factor: shift } : {}),
    block_out_channels: [...data.decoder_block_out_channels],
    force_upcast: false,
  } as AutoencoderTinyConfig);
}
