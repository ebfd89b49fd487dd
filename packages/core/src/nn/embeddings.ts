import * as tf from '@tensorflow/tfjs-core';
import { getActivation } from './activations.js';
import type { ActivationFn, ActivationName } from './activations.js';
import { checkPositiveInt } from './check.js';
import { NnArgumentError } from './errors.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** Options of {@link getTimestepEmbedding}, with diffusers' names and defaults. */
export interface TimestepEmbeddingOptions {
  /** Put the cosines first (default `false`). SD U-Nets use `true`. */
  readonly flip_sin_to_cos?: boolean;
  /** Frequencies are `max_period ** (-i / (half - downscale_freq_shift))` (default 1; SD uses 0). */
  readonly downscale_freq_shift?: number;
  /** Multiplies the arguments (default 1). */
  readonly scale?: number;
  /** Longest period (default 10000). */
  readonly max_period?: number;
}

/** Timesteps to embed: one number for a batch of one, a list, or a `[N]` tensor. */
export type TimestepsInput = number | readonly number[] | tf.Tensor1D;

const f32 = Math.fround;

/** The `half` frequencies in float32, rounded step by step as PyTorch computes them. */
function frequencies(half: number, shift: number, maxPeriod: number): Float32Array {
  const out = new Float32Array(half);
  const logPeriod = f32(-Math.log(maxPeriod));
  const denom = f32(half - shift);
  for (let i = 0; i < half; i++) out[i] = f32(Math.exp(f32(f32(logPeriod * i) / denom)));
  return out;
}

// 2*pi split so that k * TWO_PI_HI is exact in float32 for |k| < 2^16 (TWO_PI_HI has 8 significant bits).
const TWO_PI_HI = 6.28125;
const TWO_PI_LO = f32(2 * Math.PI - TWO_PI_HI);

/**
 * `x - 2 pi round(x / 2 pi)` in float32 to ~1e-7 (Cody-Waite). GPU sin/cos lose accuracy
 * on large arguments (WebGPU/SwiftShader errs by ~2e-4 at 250), while timestep arguments
 * reach 1000; reduced arguments keep every backend at float32 accuracy.
 */
function reduceToPlusMinusPi(x: tf.Tensor): tf.Tensor {
  const k = tf.round(tf.mul(x, 1 / (2 * Math.PI)));
  return tf.sub(tf.sub(x, tf.mul(k, TWO_PI_HI)), tf.mul(k, TWO_PI_LO));
}

/**
 * Sinusoidal timestep embedding, as diffusers' `get_timestep_embedding`:
 * `[sin(t f), cos(t f)]` (swapped with `flip_sin_to_cos`), `f_i = exp(-ln(max_period) i /
 * (half - downscale_freq_shift))`, zero-padded to an odd `embedding_dim`. Numbers are
 * computed on the host with float32 rounding of the arguments as PyTorch does; tensors on
 * the device.
 * @param timesteps `N` timesteps (may be fractional).
 * @returns `[N, embedding_dim]`, float32; a new tensor.
 */
export function getTimestepEmbedding(
  timesteps: TimestepsInput,
  embedding_dim: number,
  options: TimestepEmbeddingOptions = {},
): tf.Tensor2D {
  checkPositiveInt('getTimestepEmbedding', 'embedding_dim', embedding_dim);
  const half = Math.floor(embedding_dim / 2);
  const shift = options.downscale_freq_shift ?? 1;
  const scale = options.scale ?? 1;
  const flip = options.flip_sin_to_cos ?? false;
  if (half - shift === 0) {
    throw new NnArgumentError(`getTimestepEmbedding: half the dimension (${half}) equals downscale_freq_shift.`);
  }
  const freqs = frequencies(half, shift, options.max_period ?? 10000);

  if (typeof timesteps === 'number' || Array.isArray(timesteps)) {
    const ts = typeof timesteps === 'number' ? [timesteps] : (timesteps as readonly number[]);
    const data = new Float32Array(ts.length * embedding_dim);
    ts.forEach((t, row) => {
      const base = row * embedding_dim;
      for (let i = 0; i < half; i++) {
        const arg = f32(scale * f32(f32(t) * freqs[i]!));
        const sin = Math.sin(arg);
        const cos = Math.cos(arg);
        data[base + i] = flip ? cos : sin;
        data[base + half + i] = flip ? sin : cos;
      }
    });
    return tf.tensor2d(data, [ts.length, embedding_dim]);
  }

  const t = timesteps as tf.Tensor1D;
  if (t.rank !== 1) {
    throw new NnArgumentError(`getTimestepEmbedding: timesteps must be a [N] tensor, got shape [${t.shape.join(', ')}].`);
  }
  return tf.tidy(() => {
    const args = tf.mul(tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), tf.tensor2d(freqs, [1, half])), scale);
    const reduced = reduceToPlusMinusPi(args);
    const parts = flip ? [tf.cos(reduced), tf.sin(reduced)] : [tf.sin(reduced), tf.cos(reduced)];
    let emb = tf.concat(parts, 1);
    if (embedding_dim % 2 === 1) emb = tf.pad(emb, [[0, 0], [0, 1]]);
    return emb as tf.Tensor2D;
  });
}

/** diffusers' `Timesteps`: {@link getTimestepEmbedding} as a parameter-free module. */
export class Timesteps extends Module {
  /** Embedding width. */
  readonly num_channels: number;
  /** Cosines first. */
  readonly flip_sin_to_cos: boolean;
  /** Frequency shift. */
  readonly downscale_freq_shift: number;

  /** Arguments as diffusers' `Timesteps(num_channels, flip_sin_to_cos, downscale_freq_shift)`. */
  constructor(num_channels: number, flip_sin_to_cos: boolean, downscale_freq_shift: number) {
    super();
    checkPositiveInt('Timesteps', 'num_channels', num_channels);
    this.num_channels = num_channels;
    this.flip_sin_to_cos = flip_sin_to_cos;
    this.downscale_freq_shift = downscale_freq_shift;
  }

  /** @returns `[N, num_channels]`, float32; a new tensor. */
  forward(timesteps: TimestepsInput): tf.Tensor2D {
    return getTimestepEmbedding(timesteps, this.num_channels, {
      flip_sin_to_cos: this.flip_sin_to_cos,
      downscale_freq_shift: this.downscale_freq_shift,
    });
  }
}

/** Options of {@link TimestepEmbedding}, with diffusers' names and defaults. */
export interface TimestepEmbeddingModuleOptions {
  /** Activation between the linears (default `'silu'`). */
  readonly act_fn?: ActivationName;
  /** Output width (default `time_embed_dim`). */
  readonly out_dim?: number;
  /** Activation after `linear_2` (default none). */
  readonly post_act_fn?: ActivationName | null;
  /** Width of an optional condition added to the input through `cond_proj` (no bias). */
  readonly cond_proj_dim?: number | null;
  /** Bias of both linears (default `true`). */
  readonly sample_proj_bias?: boolean;
}

/** diffusers' `TimestepEmbedding`: `linear_2(act(linear_1(x [+ cond_proj(c)])))`. */
export class TimestepEmbedding extends Module {
  /** `Linear(in_channels, time_embed_dim)`. */
  readonly linear_1: Linear;
  /** `Linear(cond_proj_dim, in_channels, no bias)`, or `null`. */
  readonly cond_proj: Linear | null;
  /** `Linear(time_embed_dim, out_dim)`. */
  readonly linear_2: Linear;
  readonly #act: ActivationFn;
  readonly #postAct: ActivationFn | null;

  /**
   * @param in_channels Width of the input (the sinusoidal embedding).
   * @param time_embed_dim Width of `linear_1`'s output (and of the result unless `out_dim`).
   */
  constructor(in_channels: number, time_embed_dim: number, options: TimestepEmbeddingModuleOptions = {}) {
    super();
    const bias = options.sample_proj_bias ?? true;
    this.linear_1 = new Linear(in_channels, time_embed_dim, { bias });
    this.cond_proj = options.cond_proj_dim == null ? null : new Linear(options.cond_proj_dim, in_channels, { bias: false });
    this.#act = getActivation(options.act_fn ?? 'silu');
    this.linear_2 = new Linear(time_embed_dim, options.out_dim ?? time_embed_dim, { bias });
    this.#postAct = options.post_act_fn == null ? null : getActivation(options.post_act_fn);
  }

  /**
   * @param sample `[N, in_channels]` (e.g. a {@link Timesteps} output), float32.
   * @param condition `[N, cond_proj_dim]`, only when the module has `cond_proj`.
   * @returns `[N, out_dim]`; a new tensor.
   */
  forward(sample: tf.Tensor2D, condition?: tf.Tensor2D): tf.Tensor2D {
    if (condition !== undefined && this.cond_proj === null) {
      throw new NnArgumentError('TimestepEmbedding: a condition was given but the module has no cond_proj (set cond_proj_dim).');
    }
    return tf.tidy(() => {
      let x: tf.Tensor = sample;
      if (condition !== undefined && this.cond_proj !== null) x = tf.add(x, this.cond_proj.forward(condition));
      x = this.linear_2.forward(this.#act(this.linear_1.forward(x)));
      if (this.#postAct !== null) x = this.#postAct(x);
      return x as tf.Tensor2D;
    });
  }
}
