import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@yonos/core';
import type { HrBatchSource } from '@yonos/distill';
import { toSigned } from '@yonos/distill/internal';
import { cloneModel } from './models.js';
import type { TrainVae } from './models.js';

/**
 * `1 / std` of the latents `z - shift_factor` over `count` training batches: the
 * `scaling_factor` that gives diffusion unit-variance latents (how Stable Diffusion's 0.18215
 * was measured). Leak-free.
 * @param data Batches NHWC float32 in `[0, 1]` (batch `i` for `i < count`).
 * @param latent `'sample'`: posterior draws (a VAE trained on draws); `'mean'`: posterior means, for a VAE
 *   trained on means (`sample_posterior: false`), whose unused variance head the KL term pulls to 1.
 */
export async function measureScalingFactor(vae: TrainVae, data: HrBatchSource, count: number, latent: 'sample' | 'mean' = 'sample'): Promise<number> {
  vae.eval();
  const rng = createRng('scaling-factor');
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const hr = await data.batch(i);
    const z = tf.tidy(() => {
      const posterior = vae.encode(toSigned(hr));
      return tf.sub(latent === 'sample' ? posterior.sample(rng.fork(i)) : posterior.mean, vae.shiftFactor);
    });
    hr.dispose();
    const values = await z.data();
    z.dispose();
    for (const v of values) {
      sum += v;
      sumSq += v * v;
    }
    n += values.length;
  }
  const variance = sumSq / n - (sum / n) ** 2;
  return 1 / Math.sqrt(Math.max(variance, 1e-12));
}

/** A copy of `vae` (same weights) whose config says `scaling_factor: scalingFactor`. The caller disposes it. */
export function withScalingFactor(vae: TrainVae, scalingFactor: number): TrainVae {
  return cloneModel(vae, { scaling_factor: scalingFactor });
}
