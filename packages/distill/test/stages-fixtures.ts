// Stand-in models and an independent scheduler for the stage tests: small, seeded, and built
// from core's nn only (the stages depend on contracts, not on @yonos/vae or @yonos/unet).
import * as tf from '@tensorflow/tfjs-core';
import { createRng, imresize } from '@yonos/core';
import { Conv2d, DiagonalGaussianDistribution, Dropout, Linear, Module, silu } from '@yonos/core/nn';
import type {
  Degradation,
  DenoiserMemory,
  LatentCodecMemory,
  LatentPosterior,
  ModelConfig,
  PredictionType,
  Rng,
  SchedulerStepOutput,
  SpatialShape,
} from '@yonos/core';
import type { DistillationInputs, HrBatchSource, TrainingScheduler } from '../src/index.js';

const F32 = 4;

/** A 4x patch codec with AutoencoderKL's parameter names (encoder, quant_conv, post_quant_conv, decoder). */
export class TinyCodec extends Module {
  static readonly className = 'TinyCodec';
  readonly config: ModelConfig = { latent_channels: 4, factor: 4 };
  readonly encoder = new Conv2d(3, 8, 4, { stride: 4 });
  readonly quant_conv = new Conv2d(8, 8, 1);
  readonly post_quant_conv = new Conv2d(4, 4, 1);
  readonly decoder = new Conv2d(4, 3, 3, { padding: 1 });
  readonly latentChannels = 4;
  readonly downsampleFactor = 4;
  readonly scalingFactor = 0.5;
  readonly shiftFactor = 0.1;

  static fromConfig(): TinyCodec {
    return new TinyCodec();
  }

  /**
   * Every intermediate at once (the tidies keep them to the end), in float32 per latent pixel
   * `l` and image pixel `p`: encode 8 + 8 (conv, bias) twice, the two halves, the shifted
   * log-variance and the posterior's clamp (52 per `l`); decode 4 + 4, the upsampled latent,
   * 3 + 3 and the tanh (8 per `l`, 13 per `p`).
   */
  estimateMemory([n, h, w]: SpatialShape): LatentCodecMemory {
    const l = (n * h * w) / 16;
    const p = n * h * w;
    return { encode: F32 * 52 * l, decode: F32 * (8 * l + 13 * p) };
  }

  encode(image: tf.Tensor4D): LatentPosterior {
    const [mean, logvar] = tf.tidy(() => {
      const m = this.quant_conv.forward(this.encoder.forward(image)) as tf.Tensor4D;
      const [a, b] = tf.split(m, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
      return [a, tf.sub(b, 2) as tf.Tensor4D];
    });
    return new DiagonalGaussianDistribution(mean!, logvar!);
  }

  decode(latent: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const z = this.post_quant_conv.forward(latent) as tf.Tensor4D;
      const up = tf.image.resizeNearestNeighbor(z, [z.shape[1] * 4, z.shape[2] * 4]);
      return tf.tanh(this.decoder.forward(up)) as tf.Tensor4D;
    });
  }
}

/** A conv denoiser with a timestep bias, optional cross-attention context and dropout. */
export class TinyDenoiser extends Module {
  static readonly className = 'TinyDenoiser';
  readonly config: ModelConfig;
  readonly conv_in = new Conv2d(8, 16, 3, { padding: 1 });
  readonly time_proj = new Linear(1, 16);
  readonly context_proj: Linear | null;
  readonly drop = new Dropout(0.1);
  readonly conv_out = new Conv2d(16, 4, 3, { padding: 1 });
  readonly inChannels = 8;
  readonly outChannels = 4;
  /** Its convolutions keep the size: any sample size passes. */
  readonly downsampleFactor = 1;
  readonly crossAttentionDim?: number;

  constructor(crossAttentionDim: number | null = 6) {
    super();
    this.config = { cross_attention_dim: crossAttentionDim };
    this.context_proj = crossAttentionDim === null ? null : new Linear(crossAttentionDim, 16);
    if (crossAttentionDim !== null) this.crossAttentionDim = crossAttentionDim;
  }

  static fromConfig(config: ModelConfig): TinyDenoiser {
    return new TinyDenoiser((config['cross_attention_dim'] as number | null | undefined) ?? null);
  }

  /**
   * Every intermediate at once, in float32 per pixel: the 16-channel conv and its bias, the
   * timestep and context sums, SiLU (sigmoid and product), dropout (mask and product), the
   * 4-channel conv and its bias (136), rounded up to 140.
   */
  estimateMemory([n, h, w]: SpatialShape): DenoiserMemory {
    return { forward: F32 * 140 * n * h * w };
  }

  forward(sample: tf.Tensor4D, timestep: number | tf.Tensor1D, context?: tf.Tensor3D): tf.Tensor4D {
    if (this.context_proj !== null && context === undefined) throw new Error('TinyDenoiser: context required');
    return tf.tidy(() => {
      const n = sample.shape[0];
      const t = typeof timestep === 'number' ? tf.fill([n], timestep) : tf.reshape(timestep, [-1]);
      const temb = this.time_proj.forward(tf.reshape(tf.div(t, 1000), [-1, 1])) as tf.Tensor2D;
      let h = tf.add(this.conv_in.forward(sample), tf.reshape(temb, [-1, 1, 1, 16])) as tf.Tensor4D;
      if (this.context_proj !== null && context !== undefined) {
        const c = tf.mean(this.context_proj.forward(context), 1);
        h = tf.add(h, tf.reshape(c, [n, 1, 1, 16]));
      }
      return this.conv_out.forward(this.drop.forward(silu(h)) as tf.Tensor4D) as tf.Tensor4D;
    });
  }
}

/** Stable Diffusion's scaled-linear alphas_cumprod, computed here independently of @yonos/sampler. */
export function scaledLinearAlphas(steps = 1000, start = 0.00085, end = 0.012): Float64Array {
  const out = new Float64Array(steps);
  let prod = 1;
  for (let i = 0; i < steps; i++) {
    const s = Math.sqrt(start) + ((Math.sqrt(end) - Math.sqrt(start)) * i) / (steps - 1);
    prod *= 1 - Math.fround(s * s);
    out[i] = Math.fround(prod);
  }
  return out;
}

/** A minimal v-prediction DDIM scheduler with trailing spacing (one step from t = 999). */
export class TestScheduler implements TrainingScheduler {
  readonly numTrainTimesteps = 1000;
  readonly initNoiseSigma = 1;
  readonly predictionType: PredictionType;
  readonly alphasCumprod = scaledLinearAlphas();
  timesteps: readonly number[] = [];

  constructor(predictionType: PredictionType = 'v_prediction') {
    this.predictionType = predictionType;
  }

  setTimesteps(n: number): void {
    this.timesteps = Array.from({ length: n }, (_, i) => Math.round(1000 - (i * 1000) / n) - 1);
  }

  #coef(ts: readonly number[] | tf.Tensor1D, rank: number, f: (a: number) => number): tf.Tensor {
    const list = Array.isArray(ts) ? (ts as readonly number[]) : Array.from((ts as tf.Tensor1D).dataSync());
    return tf.reshape(tf.tensor1d(list.map((t) => f(this.alphasCumprod[t]!))), [list.length, ...new Array<number>(rank - 1).fill(1)]);
  }

  addNoise(x: tf.Tensor, noise: tf.Tensor, ts: readonly number[] | tf.Tensor1D): tf.Tensor {
    return tf.tidy(() => tf.add(tf.mul(this.#coef(ts, x.rank, Math.sqrt), x), tf.mul(this.#coef(ts, x.rank, (a) => Math.sqrt(1 - a)), noise)));
  }

  getVelocity(x: tf.Tensor, noise: tf.Tensor, ts: readonly number[] | tf.Tensor1D): tf.Tensor {
    return tf.tidy(() => tf.sub(tf.mul(this.#coef(ts, x.rank, Math.sqrt), noise), tf.mul(this.#coef(ts, x.rank, (a) => Math.sqrt(1 - a)), x)));
  }

  step(v: tf.Tensor, t: number, x: tf.Tensor): SchedulerStepOutput {
    const a = this.alphasCumprod[t]!;
    const prevT = t - 1000 / this.timesteps.length;
    const ap = prevT >= 0 ? this.alphasCumprod[prevT]! : this.alphasCumprod[0]!;
    return tf.tidy(() => {
      const x0 = tf.sub(tf.mul(Math.sqrt(a), x), tf.mul(Math.sqrt(1 - a), v));
      const eps = tf.add(tf.mul(Math.sqrt(a), v), tf.mul(Math.sqrt(1 - a), x));
      return { prevSample: tf.add(tf.mul(Math.sqrt(ap), x0), tf.mul(Math.sqrt(1 - ap), eps)), predOriginalSample: x0 };
    });
  }
}

/** Area downscaling (mean pooling): a simple, deterministic Degradation. */
export const poolDegradation: Degradation = {
  degrade: (hr, scale) => tf.tidy(() => tf.avgPool(hr, scale, scale, 'valid') as tf.Tensor4D),
};

/**
 * A pair maker with makeDistillationPair's contract (student at 1/f, teacher at 2/f of HR size,
 * both upsampled back with core's imresize), on mean pooling.
 */
export function makePoolPair(hr: tf.Tensor4D, factor: number, _rng: Rng): DistillationInputs {
  return tf.tidy(() => {
    const [, h, w] = hr.shape;
    const student = tf.avgPool(hr, factor, factor, 'valid') as tf.Tensor4D;
    const teacher = tf.avgPool(hr, factor / 2, factor / 2, 'valid') as tf.Tensor4D;
    const size = { height: h, width: w };
    return { student, teacher, studentUp: imresize(student, size), teacherUp: imresize(teacher, size) };
  });
}

/** Fixed batches: batch i is a seeded smooth image batch in [0, 1], cycling over `count` distinct ones. */
export class FixedBatches implements HrBatchSource {
  readonly calls: number[] = [];
  constructor(
    readonly n: number,
    readonly size: number,
    readonly count = 2,
    readonly seed = 3,
  ) {}
  async batch(index: number): Promise<tf.Tensor4D> {
    this.calls.push(index);
    const k = index % this.count;
    return tf.tidy(() => {
      const rng = createRng(this.seed).fork(k);
      const grain = rng.uniform([this.n, this.size, this.size, 3], -0.1, 0.1);
      const y = tf.reshape(tf.linspace(0, 1, this.size), [1, this.size, 1, 1]);
      const x = tf.reshape(tf.linspace(0, 1, this.size), [1, 1, this.size, 1]);
      const phase = tf.reshape(rng.uniform([this.n * 3], 0, 6), [this.n, 1, 1, 3]);
      const base = tf.add(tf.mul(tf.sin(tf.add(tf.mul(tf.add(y, x), 4), phase)), 0.35), 0.5);
      return tf.clipByValue(tf.add(base, grain), 0, 1) as tf.Tensor4D;
    });
  }
}

/** Host copies of a module's parameters by name. */
export async function weightsOf(module: Module): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, p] of module.namedParameters()) out.set(name, (await p.value.data()) as Float32Array);
  return out;
}

/** Names whose values differ at all (bitwise) between two snapshots. */
export function changedNames(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  const out: string[] = [];
  for (const [name, x] of a) {
    const y = b.get(name)!;
    const bx = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const by = new Uint32Array(y.buffer, y.byteOffset, y.length);
    if (bx.some((v, i) => v !== by[i])) out.push(name);
  }
  return out;
}

export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

/** Mean of the first and last `k` values. */
export function headTail(values: readonly number[], k: number): { head: number; tail: number } {
  const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  return { head: mean(values.slice(0, k)), tail: mean(values.slice(-k)) };
}

export function makeCodec(seed = 1): TinyCodec {
  return new TinyCodec().initialize(createRng(seed));
}

export function makeDenoiser(seed = 2, crossAttentionDim: number | null = 6): TinyDenoiser {
  return new TinyDenoiser(crossAttentionDim).initialize(createRng(seed));
}

/** The smallest raw `sr` training config that parses (paths are never read): spread it and add the keys under test. */
export const MINIMAL_SR_CONFIG = {
  data: { train: 'data/train', crop_size: 32, batch_size: 2 },
  optimizer: { lr: 1e-4 },
  checkpoint: { dir: 'runs/ckpt' },
  output: 'runs/out',
  steps: 10,
  scale: 2,
  models: { vae: { pretrained: '/v' }, unet: { config: { in_channels: 8 } } },
  degradation: { type: 'bicubic' },
};
