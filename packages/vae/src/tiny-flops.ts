import { parseAutoencoderTinyConfig } from './tiny-config.js';
import type { AutoencoderTinyConfig, AutoencoderTinyConfigInput } from './tiny-config.js';

/** FLOPs of one `AutoencoderTiny` pass, split by half of the model ({@link autoencoderTinyFlops}). */
export interface AutoencoderTinyFlops {
  /** `encode`: the encoder. */
  readonly encode: number;
  /** `decode`: the decoder. */
  readonly decode: number;
  /** `encode + decode`. */
  readonly total: number;
}

/** A 3x3 conv producing `n * h * w * cout` values from `cin` channels: one multiply-add = 2 FLOPs. */
function conv3(n: number, h: number, w: number, cin: number, cout: number): number {
  return 2 * n * h * w * cout * 9 * cin;
}

/** An `AutoencoderTinyBlock` with equal in/out channels (no skip conv): three 3x3 convs. */
function block(n: number, h: number, w: number, ch: number): number {
  return 3 * conv3(n, h, w, ch, ch);
}

/**
 * Counts the FLOPs of `AutoencoderTiny.encode` and `decode` analytically from the config:
 * every convolution, a multiply-add counted as 2 (bias adds, activations, the clamp and the
 * upsampling are left out). For benchmarks (achieved GFLOP/s).
 * @param config An `AutoencoderTiny` config (or a subset of its keys).
 * @param size Image `[H, W]` fed to `encode`; `decode` is counted for the latent it yields.
 * @param batch Batch size (default 1).
 * @throws {@link VaeConfigError} for an invalid config.
 */
export function autoencoderTinyFlops(
  config: AutoencoderTinyConfig | AutoencoderTinyConfigInput,
  size: readonly [number, number],
  batch = 1,
): AutoencoderTinyFlops {
  const c = parseAutoencoderTinyConfig(config);
  const n = batch;
  let [h, w] = size;
  let encode = 0;
  c.num_encoder_blocks.forEach((count, i) => {
    const ch = c.encoder_block_out_channels[i]!;
    if (i === 0) encode += conv3(n, h, w, c.in_channels, ch);
    else {
      // Stride 2, padding 1: ceil(H / 2).
      h = Math.floor((h - 1) / 2) + 1;
      w = Math.floor((w - 1) / 2) + 1;
      encode += conv3(n, h, w, ch, ch);
    }
    encode += count * block(n, h, w, ch);
  });
  encode += conv3(n, h, w, c.encoder_block_out_channels[c.encoder_block_out_channels.length - 1]!, c.latent_channels);

  let decode = conv3(n, h, w, c.latent_channels, c.decoder_block_out_channels[0]!);
  c.num_decoder_blocks.forEach((count, i) => {
    const last = i === c.num_decoder_blocks.length - 1;
    const ch = c.decoder_block_out_channels[i]!;
    decode += count * block(n, h, w, ch);
    if (!last) {
      h *= c.upsampling_scaling_factor;
      w *= c.upsampling_scaling_factor;
    }
    decode += conv3(n, h, w, ch, last ? c.out_channels : ch);
  });
  return { encode, decode, total: encode + decode };
}
