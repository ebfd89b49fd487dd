import type { Denoiser, LatentCodec } from '@yonos/core';

/**
 * A component may say how many bytes one evaluation on an input of a given size needs at
 * peak; the pipeline then sizes tiles from that instead of its own estimate.
 */
export interface MemoryEstimator {
  /**
   * @param height Input height: image pixels for a codec (decode output / encode input), latent pixels for a denoiser.
   * @param width Input width, same units.
   * @returns Peak bytes for a batch of one.
   */
  estimateMemoryBytes(height: number, width: number): number;
}

interface UnetLikeConfig {
  readonly block_out_channels?: readonly number[];
  readonly layers_per_block?: number | readonly number[];
  readonly down_block_types?: readonly string[];
  readonly attention_head_dim?: number | readonly number[];
  readonly num_attention_heads?: number | readonly number[] | null;
  readonly mid_block_add_attention?: boolean;
}

const F32 = 4;
/** Live float32 activations per channel and pixel at a level's resolution while a block runs (input, norm, conv, residual, skip). */
const LIVE_ACTIVATIONS = 6;
/** Attention keeps the scores and their softmax. */
const ATTENTION_COPIES = 2;

function configOf(component: object): UnetLikeConfig {
  const config = (component as { config?: unknown }).config;
  return typeof config === 'object' && config !== null ? (config as UnetLikeConfig) : {};
}

function hasEstimator(component: object): component is MemoryEstimator {
  return typeof (component as Partial<MemoryEstimator>).estimateMemoryBytes === 'function';
}

function first(value: number | readonly number[] | null | undefined, fallback: number): number {
  if (Array.isArray(value)) return (value as readonly number[])[0] ?? fallback;
  return typeof value === 'number' ? value : fallback;
}

/**
 * Peak bytes of one codec encode or decode of an `height x width` image (batch 1). Uses the
 * codec's own {@link MemoryEstimator} if it has one; otherwise an estimate from a
 * diffusers-style config (`block_out_channels`), with the Stable Diffusion VAE's values when
 * there is none: full-resolution activations of the widest full-resolution block, plus the
 * mid-block self-attention over all latent pixels (single head), which is what makes untiled
 * decoding of large images impossible.
 */
export function estimateCodecBytes(codec: LatentCodec, height: number, width: number): number {
  if (hasEstimator(codec)) return codec.estimateMemoryBytes(height, width);
  const config = configOf(codec);
  const channels = config.block_out_channels ?? [128, 256, 512, 512];
  const f = codec.downsampleFactor;
  let perPixel = 0;
  channels.forEach((c, level) => (perPixel += (LIVE_ACTIVATIONS * c * F32) / 4 ** level));
  const tokens = (height / f) * (width / f);
  const attention = config.mid_block_add_attention === false ? 0 : ATTENTION_COPIES * F32 * tokens * tokens;
  return height * width * perPixel + attention;
}

/**
 * Peak bytes of one denoiser evaluation on an `height x width` latent (batch 1). Uses the
 * denoiser's own {@link MemoryEstimator} if it has one; otherwise an estimate from a
 * diffusers `UNet2DConditionModel` config (Stable Diffusion 2's values when there is none):
 * skip activations kept across the U plus a working set per level, and the self-attention
 * score matrices of the highest-resolution attention level (`heads * tokens^2`), which grow
 * with the fourth power of the tile edge and dominate for large tiles.
 */
export function estimateDenoiserBytes(denoiser: Denoiser, height: number, width: number): number {
  if (hasEstimator(denoiser)) return denoiser.estimateMemoryBytes(height, width);
  const config = configOf(denoiser);
  const channels = config.block_out_channels ?? [320, 640, 1280, 1280];
  const layers = first(config.layers_per_block, 2);
  const blockTypes = config.down_block_types ?? channels.map((_, i) => (i < channels.length - 1 ? 'CrossAttnDownBlock2D' : 'DownBlock2D'));
  const heads = config.num_attention_heads ?? config.attention_head_dim ?? 5;
  let perPixel = 0;
  channels.forEach((c, level) => (perPixel += ((layers + 1 + LIVE_ACTIVATIONS) * c * F32) / 4 ** level));
  let attention = 0;
  const level = blockTypes.findIndex((t) => t.includes('Attn'));
  if (level >= 0) {
    const tokens = (height * width) / 4 ** level;
    const levelHeads = Array.isArray(heads) ? ((heads as readonly number[])[level] ?? 1) : (heads as number);
    attention = ATTENTION_COPIES * F32 * levelHeads * tokens * tokens;
  }
  return height * width * perPixel + attention;
}

/**
 * The largest square tile edge, a multiple of `multiple` and at most `limit` rounded up to
 * that multiple, whose `cost(edge)` fits in `budget` bytes; never below `minimum`.
 */
export function largestTileWithin(
  budget: number,
  cost: (edge: number) => number,
  multiple: number,
  limit: number,
  minimum: number,
): number {
  const top = Math.max(minimum, Math.ceil(limit / multiple) * multiple);
  for (let edge = top; edge > minimum; edge -= multiple) {
    if (cost(edge) <= budget) return edge;
  }
  return minimum;
}
