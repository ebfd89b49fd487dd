import { parseAutoencoderKLConfig } from './config.js';
import type { AutoencoderKLConfig, AutoencoderKLConfigInput } from './config.js';

/** FLOPs of one {@link autoencoderKLFlops} pass, split by half of the model. */
export interface AutoencoderKLFlops {
  /** `encode`: encoder and `quant_conv`. */
  readonly encode: number;
  /** `decode`: `post_quant_conv` and decoder. */
  readonly decode: number;
  /** `encode + decode`. */
  readonly total: number;
}

interface Counter {
  flops: number;
}

/** A k x k conv producing `[n, h, w, cout]` from `cin` channels: one multiply-add = 2 FLOPs. */
function conv(c: Counter, n: number, h: number, w: number, cin: number, cout: number, k: number): void {
  c.flops += 2 * n * h * w * cout * k * k * cin;
}

function resnet(c: Counter, n: number, h: number, w: number, cin: number, cout: number): void {
  conv(c, n, h, w, cin, cout, 3);
  conv(c, n, h, w, cout, cout, 3);
  if (cin !== cout) conv(c, n, h, w, cin, cout, 1);
}

/** Single-head self-attention over `h * w` positions: q, k, v, out projections and the two matmuls. */
function attention(c: Counter, n: number, h: number, w: number, ch: number): void {
  const l = h * w;
  c.flops += 4 * 2 * n * l * ch * ch;
  c.flops += 2 * 2 * n * l * l * ch;
}

function midBlock(c: Counter, n: number, h: number, w: number, ch: number, withAttention: boolean): void {
  resnet(c, n, h, w, ch, ch);
  if (withAttention) attention(c, n, h, w, ch);
  resnet(c, n, h, w, ch, ch);
}

/**
 * Counts the FLOPs of `encode` and `decode` analytically from the config: every convolution,
 * linear projection and attention matmul, a multiply-add counted as 2 (bias adds, norms and
 * activations are left out: under 1% of the total). For benchmarks (achieved GFLOP/s).
 * @param config An `AutoencoderKL` config (or a subset of its keys).
 * @param size Image `[H, W]` fed to `encode`; `decode` is counted for the latent it yields.
 * @param batch Batch size (default 1).
 * @throws {@link VaeConfigError} for an invalid config.
 */
export function autoencoderKLFlops(
  config: AutoencoderKLConfig | AutoencoderKLConfigInput,
  size: readonly [number, number],
  batch = 1,
): AutoencoderKLFlops {
  const cfg = parseAutoencoderKLConfig(config);
  const ch = cfg.block_out_channels;
  const levels = ch.length;
  const last = ch[levels - 1]!;
  const lat = cfg.latent_channels;
  const n = batch;
  const withAttention = cfg.mid_block_add_attention ?? true;

  const enc: Counter = { flops: 0 };
  let [h, w] = size;
  conv(enc, n, h, w, cfg.in_channels, ch[0]!, 3);
  for (let i = 0; i < levels; i++) {
    for (let j = 0; j < cfg.layers_per_block; j++) resnet(enc, n, h, w, j === 0 ? ch[Math.max(i - 1, 0)]! : ch[i]!, ch[i]!);
    if (i < levels - 1) {
      // Stride-2 3x3 conv after padding one row and column at the end.
      h = Math.floor((h + 1 - 3) / 2) + 1;
      w = Math.floor((w + 1 - 3) / 2) + 1;
      conv(enc, n, h, w, ch[i]!, ch[i]!, 3);
    }
  }
  midBlock(enc, n, h, w, last, withAttention);
  conv(enc, n, h, w, last, 2 * lat, 3);
  if (cfg.use_quant_conv ?? true) conv(enc, n, h, w, 2 * lat, 2 * lat, 1);

  const dec: Counter = { flops: 0 };
  if (cfg.use_post_quant_conv ?? true) conv(dec, n, h, w, lat, lat, 1);
  conv(dec, n, h, w, lat, last, 3);
  midBlock(dec, n, h, w, last, withAttention);
  const reversed = [...ch].reverse();
  for (let i = 0; i < levels; i++) {
    const out = reversed[i]!;
    for (let j = 0; j <= cfg.layers_per_block; j++) resnet(dec, n, h, w, j === 0 ? reversed[Math.max(i - 1, 0)]! : out, out);
    if (i < levels - 1) {
      h *= 2;
      w *= 2;
      conv(dec, n, h, w, out, out, 3);
    }
  }
  conv(dec, n, h, w, ch[0]!, cfg.out_channels, 3);
  return { encode: enc.flops, decode: dec.flops, total: enc.flops + dec.flops };
}
