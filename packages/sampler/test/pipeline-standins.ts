import * as tf from '@tensorflow/tfjs-core';
import { createRng, registerPretrainedClass } from '@yonos/core';
import { Conv2d, DiagonalGaussianDistribution, Linear, Module } from '@yonos/core/nn';
import type {
  Denoiser,
  DenoiserMemory,
  DenoiserMemoryOptions,
  LatentCodec,
  LatentCodecMemory,
  LatentPosterior,
  MemoryEstimateOptions,
  ModelConfig,
  SpatialShape,
} from '@yonos/core';
import { sdVaeShapedMemory, unetShapedMemory } from './standin-memory.js';

/** Config of {@link PatchCodec}. */
export interface PatchCodecConfig extends ModelConfig {
  readonly factor: number;
  readonly latent_channels: number;
  /**
   * `'local'`: each f x f block maps to one latent pixel and back (tiling is exact);
   * `'conv'`: plus a 3x3 conv on the moments and before decoding (tile borders differ slightly);
   * `'global'`: plus subtraction of the image-wide mean (tiles differ everywhere: a stand-in for
   * GroupNorm / attention over the whole image).
   */
  readonly mode: 'local' | 'conv' | 'global';
  readonly scaling_factor: number;
  readonly shift_factor: number;
}

/**
 * A stand-in LatentCodec: a strided "patchify" conv to moments and a 1x1 conv + nearest-neighbour
 * upsampling back, squashed by tanh. Small, deterministic, and exact to reason about under tiling.
 */
export class PatchCodec extends Module implements LatentCodec {
  static readonly className = 'PatchCodec';
  readonly config: PatchCodecConfig;
  readonly encoder: Conv2d;
  readonly decoder: Conv2d;
  readonly enc_mix: Conv2d | null;
  readonly dec_mix: Conv2d | null;
  readonly latentChannels: number;
  readonly downsampleFactor: number;
  readonly scalingFactor: number;
  readonly shiftFactor: number;

  constructor(config: Partial<PatchCodecConfig> = {}) {
    super();
    const c: PatchCodecConfig = { factor: 4, latent_channels: 4, mode: 'local', scaling_factor: 0.5, shift_factor: 0.1, ...config };
    this.config = c;
    const f = c.factor;
    const lc = c.latent_channels;
    this.encoder = new Conv2d(3, 2 * lc, f, { stride: f });
    this.decoder = new Conv2d(lc, 3, 1);
    this.enc_mix = c.mode === 'local' ? null : new Conv2d(2 * lc, 2 * lc, 3, { padding: 1 });
    this.dec_mix = c.mode === 'local' ? null : new Conv2d(lc, lc, 3, { padding: 1 });
    this.latentChannels = lc;
    this.downsampleFactor = f;
    this.scalingFactor = c.scaling_factor;
    this.shiftFactor = c.shift_factor;
  }

  /** Stable Diffusion's VAE's memory, so that tiles chosen from a budget are those of a real codec's shape. */
  estimateMemory(image: SpatialShape, options: MemoryEstimateOptions = {}): LatentCodecMemory {
    return sdVaeShapedMemory(image, this.downsampleFactor, options.backend);
  }

  static fromConfig(config: ModelConfig): PatchCodec {
    return new PatchCodec(config as Partial<PatchCodecConfig>);
  }

  encode(image: tf.Tensor4D): LatentPosterior {
    const [mean, logvar] = tf.tidy(() => {
      let m = this.encoder.forward(image) as tf.Tensor4D;
      if (this.enc_mix !== null) m = tf.add(m, tf.mul(this.enc_mix.forward(m), 0.5));
      if (this.config.mode === 'global') m = tf.sub(m, tf.mul(tf.mean(m, [1, 2], true), 0.5));
      return tf.split(m, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    });
    return new DiagonalGaussianDistribution(mean, logvar);
  }

  decode(latent: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let z: tf.Tensor4D = latent;
      if (this.dec_mix !== null) z = tf.add(z, tf.mul(this.dec_mix.forward(z), 0.5));
      if (this.config.mode === 'global') z = tf.sub(z, tf.mul(tf.mean(z, [1, 2], true), 0.5));
      // Nearest-neighbour upsampling keeps the decoder local and its output as smooth as the latent.
      const rgb = this.decoder.forward(z) as tf.Tensor4D;
      const f = this.config.factor;
      return tf.tanh(tf.image.resizeNearestNeighbor(rgb, [rgb.shape[1] * f, rgb.shape[2] * f]));
    });
  }
}

/** Config of {@link ConvDenoiser}. */
export interface ConvDenoiserConfig extends ModelConfig {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly kernel_size: 1 | 3;
  readonly cross_attention_dim: number | null;
  /** Only its length matters: `downsampleFactor` is `2^(length - 1)`, and the memory estimate is a U-Net's of these widths. */
  readonly block_out_channels: number[];
  /** Subtract this fraction of the tile-wide mean (a stand-in for GroupNorm / attention); 0 for none. */
  readonly global: number;
  /** Look at z_lr only (the second half of the channels), so outputs are as smooth as the image. */
  readonly condition_only: boolean;
}

/** One recorded {@link ConvDenoiser.forward} call. */
export interface DenoiserCall {
  readonly shape: number[];
  readonly timestep: number;
  readonly context?: number[];
  readonly contextValues?: number[];
}

/** A stand-in Denoiser: one conv, a timestep-dependent gain and a projected context. Records its calls. */
export class ConvDenoiser extends Module implements Denoiser {
  static readonly className = 'ConvDenoiser';
  readonly config: ConvDenoiserConfig;
  readonly conv: Conv2d;
  readonly context_proj: Linear | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly downsampleFactor: number;
  readonly crossAttentionDim?: number;
  /** Every forward call, in order. */
  readonly calls: DenoiserCall[] = [];

  constructor(config: Partial<ConvDenoiserConfig> = {}) {
    super();
    const c: ConvDenoiserConfig = {
      in_channels: 8,
      out_channels: 4,
      kernel_size: 3,
      cross_attention_dim: 6,
      block_out_channels: [8, 8],
      global: 0,
      condition_only: false,
      ...config,
    };
    this.config = c;
    const seen = c.condition_only ? c.in_channels / 2 : c.in_channels;
    this.conv = new Conv2d(seen, c.out_channels, c.kernel_size, { padding: (c.kernel_size - 1) / 2 });
    this.context_proj = c.cross_attention_dim === null ? null : new Linear(c.cross_attention_dim, c.out_channels);
    this.inChannels = c.in_channels;
    this.outChannels = c.out_channels;
    this.downsampleFactor = 2 ** (c.block_out_channels.length - 1);
    if (c.cross_attention_dim !== null) this.crossAttentionDim = c.cross_attention_dim;
  }

  /** A U-Net-sized guess for `block_out_channels`, so that tiles chosen from a budget are those of a real model's shape. */
  estimateMemory(sample: SpatialShape, options: DenoiserMemoryOptions = {}): DenoiserMemory {
    return unetShapedMemory(sample, this.config.block_out_channels, options.contextLength ?? 77, options.backend);
  }

  static fromConfig(config: ModelConfig): ConvDenoiser {
    return new ConvDenoiser(config as Partial<ConvDenoiserConfig>);
  }

  forward(sample: tf.Tensor4D, timestep: number | tf.Tensor1D, context?: tf.Tensor3D): tf.Tensor4D {
    const t = typeof timestep === 'number' ? timestep : NaN;
    this.calls.push({
      shape: [...sample.shape],
      timestep: t,
      ...(context !== undefined ? { context: [...context.shape], contextValues: Array.from(context.dataSync()) } : {}),
    });
    if (this.crossAttentionDim !== undefined && context === undefined) {
      throw new Error('ConvDenoiser: a context is required when cross_attention_dim is set');
    }
    return tf.tidy(() => {
      const half = this.inChannels / 2;
      const seen = this.config.condition_only ? tf.slice(sample, [0, 0, 0, half], [-1, -1, -1, half]) : sample;
      let h = this.conv.forward(seen) as tf.Tensor4D;
      if (this.config.global !== 0) h = tf.sub(h, tf.mul(tf.mean(h, [1, 2], true), this.config.global));
      h = tf.mul(tf.tanh(h), 1 + t / 1000);
      if (this.context_proj !== null && context !== undefined) {
        const c = tf.mean(this.context_proj.forward(context), 1); // [N, out]
        h = tf.add(h, tf.reshape(c, [c.shape[0], 1, 1, this.outChannels]));
      }
      return h;
    });
  }
}

registerPretrainedClass('@yonos/sampler-test-standins', PatchCodec);
registerPretrainedClass('@yonos/sampler-test-standins', ConvDenoiser);

/** Initialized stand-ins with a seed. */
export function makeCodec(config: Partial<PatchCodecConfig> = {}, seed = 1): PatchCodec {
  return new PatchCodec(config).initialize(createRng(seed));
}

/** Initialized stand-in denoiser with a seed. */
export function makeDenoiser(config: Partial<ConvDenoiserConfig> = {}, seed = 2): ConvDenoiser {
  return new ConvDenoiser(config).initialize(createRng(seed));
}

/** A smooth test image `[n, h, w, 3]` in [-1, 1] with uniform grain of amplitude `noise`. */
export function testImage(n: number, h: number, w: number, seed = 5, noise = 0.3): tf.Tensor4D {
  return tf.tidy(() => {
    const rng = createRng(seed);
    const grain = rng.uniform([n, h, w, 3], -noise, noise);
    const y = tf.reshape(tf.linspace(-1, 1, h), [1, h, 1, 1]);
    const x = tf.reshape(tf.linspace(-1, 1, w), [1, 1, w, 1]);
    const base = tf.sin(tf.add(tf.mul(y, 3), tf.mul(x, tf.reshape(tf.tensor1d([2, -1, 4]), [1, 1, 1, 3]))));
    return tf.clipByValue(tf.add(tf.mul(base, 0.6), grain), -1, 1) as tf.Tensor4D;
  });
}

/** Largest absolute difference of two tensors (host-side). */
export async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape mismatch [${a.shape}] vs [${b.shape}]`);
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return Number.isNaN(m) ? Infinity : m;
}
