import * as tf from '@tensorflow/tfjs-core';
import { SchedulerUsageError } from './errors.js';

const f32 = Math.fround;

/**
 * The forward process of a schedule, `x_t = sqrt(abar_t) * x0 + sqrt(1 - abar_t) * noise`,
 * and the quantities derived from it per batch item, as diffusers' schedulers compute them
 * (`add_noise`, `get_velocity`). Every scheduler with an `alphas_cumprod` table shares it.
 * @internal
 */
export class ForwardDiffusion {
  readonly #alphasCumprod: Float64Array;
  #sqrtTables: { signal: Float32Array; noise: Float32Array } | undefined;

  /** @param alphasCumprod `[T]` alpha_bar values (float32-representable), not copied. */
  constructor(alphasCumprod: Float64Array) {
    this.#alphasCumprod = alphasCumprod;
  }

  /** `sqrt(abar_t) * original + sqrt(1 - abar_t) * noise`, per batch item. */
  addNoise(original: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[] | tf.Tensor1D): tf.Tensor {
    checkPair(original, noise, 'original and noise');
    return tf.tidy(() => {
      const { signal, noise: noiseCoef } = this.#sqrtCoefficients(timesteps, original);
      return tf.add(tf.mul(signal, original), tf.mul(noiseCoef, noise));
    });
  }

  /** `sqrt(abar_t) * noise - sqrt(1 - abar_t) * sample`, per batch item. */
  getVelocity(sample: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[] | tf.Tensor1D): tf.Tensor {
    checkPair(sample, noise, 'sample and noise');
    return tf.tidy(() => {
      const { signal, noise: noiseCoef } = this.#sqrtCoefficients(timesteps, sample);
      return tf.sub(tf.mul(signal, noise), tf.mul(noiseCoef, sample));
    });
  }

  /** alpha_bar at per-item timesteps, shaped `[N, 1, ..., 1]` of the given rank. */
  alphasCumprodAt(timesteps: readonly number[] | tf.Tensor1D, rank: number): tf.Tensor {
    if (!Number.isInteger(rank) || rank < 1) throw new SchedulerUsageError(`rank must be an integer >= 1, got ${rank}.`);
    return tf.tidy(() => this.#gather(Float32Array.from(this.#alphasCumprod), timesteps, rank));
  }

  /** @throws SchedulerUsageError unless `t` is an integer in `[0, T)`. */
  checkTimestep(t: number): void {
    const T = this.#alphasCumprod.length;
    if (!Number.isInteger(t) || t < 0 || t >= T) {
      throw new SchedulerUsageError(`timestep must be an integer in [0, ${T}) (num_train_timesteps); got ${t}.`);
    }
  }

  /** Must run inside `tf.tidy`. */
  #sqrtCoefficients(timesteps: readonly number[] | tf.Tensor1D, like: tf.Tensor): { signal: tf.Tensor; noise: tf.Tensor } {
    if (like.rank < 1) throw new SchedulerUsageError('addNoise/getVelocity need tensors with a batch axis (rank >= 1).');
    const batch = like.shape[0];
    const count = Array.isArray(timesteps) ? timesteps.length : (timesteps as tf.Tensor1D).shape[0];
    if (count !== batch && count !== 1) {
      throw new SchedulerUsageError(
        `timesteps must hold one value per batch item (${String(batch)}) or a single value; got ${count}.`,
      );
    }
    // Values as diffusers' float32 `alphas_cumprod[t] ** 0.5` and `(1 - alphas_cumprod[t]) ** 0.5`.
    this.#sqrtTables ??= {
      signal: Float32Array.from(this.#alphasCumprod, (a) => Math.sqrt(a)),
      noise: Float32Array.from(this.#alphasCumprod, (a) => Math.sqrt(f32(1 - a))),
    };
    return {
      signal: this.#gather(this.#sqrtTables.signal, timesteps, like.rank),
      noise: this.#gather(this.#sqrtTables.noise, timesteps, like.rank),
    };
  }

  /** `table[timesteps]` reshaped to `[N, 1, ..., 1]` of the given rank. Must run inside `tf.tidy`. */
  #gather(table: Float32Array, timesteps: readonly number[] | tf.Tensor1D, rank: number): tf.Tensor {
    let values: tf.Tensor;
    if (Array.isArray(timesteps)) {
      const list = timesteps as readonly number[];
      list.forEach((t) => this.checkTimestep(t));
      values = tf.tensor1d(list.map((t) => table[t]!), 'float32');
    } else {
      const ts = timesteps as tf.Tensor1D;
      if (ts.rank !== 1) throw new SchedulerUsageError(`timesteps must be a 1-D tensor, got rank ${ts.rank}.`);
      const index = ts.dtype === 'int32' ? ts : tf.cast(ts, 'int32');
      values = tf.gather(tf.tensor1d(table, 'float32'), index);
    }
    return tf.reshape(values, [values.shape[0], ...new Array<number>(rank - 1).fill(1)]);
  }
}

/** Whether two tensors have the same shape. */
export function sameShape(a: tf.Tensor, b: tf.Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** @throws SchedulerUsageError unless `a` and `b` have the same shape. */
export function checkPair(a: tf.Tensor, b: tf.Tensor, names: string): void {
  if (!sameShape(a, b)) {
    throw new SchedulerUsageError(`${names} must have the same shape; got [${a.shape.join(', ')}] and [${b.shape.join(', ')}].`);
  }
}
