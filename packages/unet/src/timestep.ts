import * as tf from '@tensorflow/tfjs-core';
import type { Timesteps } from '@yonos/core/nn';
import { UnetInputError } from './errors.js';

/** A diffusion timestep for a U-Net: one number for the whole batch, or a `[N]` (or `[1]`, or scalar) tensor. */
export type TimestepInput = number | tf.Tensor;

/**
 * The sinusoidal embedding of `timestep` broadcast to `batch` rows, as diffusers' U-Nets
 * expand timesteps (`timesteps.expand(batch)`). Call inside `tf.tidy`.
 * @param truncate Round a number toward zero first (`UNet2DModel` makes it a `long` tensor).
 * @returns `[batch, timeProj.num_channels]`, float32.
 * @throws {@link UnetInputError} for a non-finite number or a tensor of the wrong shape.
 */
export function embedTimesteps(timeProj: Timesteps, timestep: TimestepInput, batch: number, where: string, truncate = false): tf.Tensor2D {
  if (typeof timestep === 'number') {
    if (!Number.isFinite(timestep)) throw new UnetInputError(`${where}: timestep must be a finite number, got ${timestep}.`);
    const t = truncate ? Math.trunc(timestep) : timestep;
    // One row computed on the host, then repeated: every row is identical.
    const row = timeProj.forward([t]);
    return batch === 1 ? row : tf.tile(row, [batch, 1]);
  }
  const size = timestep.size;
  if (timestep.rank > 1 || (size !== 1 && size !== batch)) {
    throw new UnetInputError(
      `${where}: timestep tensor must be a scalar, [1] or [${batch}] (one per sample), got shape [${timestep.shape.join(', ')}].`,
    );
  }
  const flat = tf.reshape(timestep, [size]) as tf.Tensor1D;
  const emb = timeProj.forward(flat);
  return size === batch ? emb : tf.tile(emb, [batch, 1]);
}
