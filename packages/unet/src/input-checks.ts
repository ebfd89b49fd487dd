import * as tf from '@tensorflow/tfjs-core';
import { UnetInputError } from './errors.js';
import type { TimestepInput } from './timestep.js';

/**
 * Whether a U-Net checks the values of its inputs (NaN or infinity in the sample, a timestep
 * tensor outside `[0, numTrainTimesteps)`): `true`, `false`, or `'auto'`, which checks on the
 * backends whose tensors live in CPU memory (`cpu`, `wasm`, `tensorflow`), where the one
 * synchronous read it needs is cheap, and skips the check on GPU backends (`webgl`, `webgpu`),
 * where a synchronous read stalls the GPU queue and webgpu in Node has none at all.
 */
export type UNetInputValidation = boolean | 'auto';

/** Backends on which `'auto'` validation runs. */
const HOST_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm', 'tensorflow']);

/** Whether `validate` asks for value checks on the current backend (`'auto'`: on host-memory backends only). */
export function validatesValues(validate: UNetInputValidation): boolean {
  return validate === 'auto' ? HOST_MEMORY_BACKENDS.has(tf.getBackend()) : validate;
}

/** diffusers' default `num_train_timesteps` (every Stable Diffusion schedule, and YONOS's). */
export const DEFAULT_NUM_TRAIN_TIMESTEPS = 1000;

function outOfRange(where: string, found: string, numTrainTimesteps: number): UnetInputError {
  return new UnetInputError(
    `${where}: ${found}, outside [0, ${numTrainTimesteps}) (0 to num_train_timesteps - 1). Pass the scheduler's timesteps; ` +
      `if your scheduler's num_train_timesteps is not ${numTrainTimesteps}, set the model's numTrainTimesteps to it.`,
  );
}

/**
 * The value checks of a U-Net's forward pass: a number timestep in `[0, numTrainTimesteps)`
 * always (free); when `validate` says so, also a sample free of NaN and infinity and a timestep
 * tensor of finite values in that range, with one reduction and one synchronous read of at
 * most four numbers (about 0.3 ms on wasm, well under 1% of a U-Net forward pass). Shapes are
 * checked elsewhere.
 * @throws {@link UnetInputError} naming the offending value and what to pass, or when
 *   `validate` is `true` on a backend without synchronous reads (webgpu in Node).
 */
export function checkInputValues(
  where: string,
  sample: tf.Tensor,
  timestep: TimestepInput,
  numTrainTimesteps: number,
  validate: UNetInputValidation,
): void {
  if (typeof timestep === 'number' && Number.isFinite(timestep) && (timestep < 0 || timestep >= numTrainTimesteps)) {
    throw outOfRange(where, `timestep ${timestep} is`, numTrainTimesteps);
  }
  if (!validatesValues(validate)) return;
  const tensorTimestep = typeof timestep !== 'number' && timestep.size > 0 ? timestep : undefined;
  const stats = tf.tidy(() => {
    const parts: tf.Tensor[] = [tf.all(tf.isFinite(sample))];
    if (tensorTimestep !== undefined) {
      const t = tf.cast(tensorTimestep, 'float32');
      parts.push(tf.all(tf.isFinite(t)), tf.min(t), tf.max(t));
    }
    return tf.stack(parts.map((p) => tf.cast(p, 'float32')));
  });
  let values: Float32Array;
  try {
    values = stats.dataSync() as Float32Array;
  } catch (cause) {
    throw new UnetInputError(
      `${where}: validateInputs is true, but the ${tf.getBackend()} backend cannot read the check's result synchronously ` +
        `(${(cause as Error)?.message ?? String(cause)}); set validateInputs to 'auto' or false on this backend.`,
      { cause },
    );
  } finally {
    stats.dispose();
  }
  const [finite, timestepsFinite, min, max] = Array.from(values);
  if (finite !== 1) {
    throw new UnetInputError(
      `${where}: the sample contains NaN or infinite values; find what produced them (a diverged model, a bad latent or input image) ` +
        'before calling the U-Net.',
    );
  }
  if (tensorTimestep === undefined) return;
  if (timestepsFinite !== 1) throw new UnetInputError(`${where}: the timestep tensor contains NaN or infinite values; pass the scheduler's timesteps.`);
  if (min! < 0 || max! >= numTrainTimesteps) {
    throw outOfRange(where, min === max ? `timestep ${min} is` : `timesteps range from ${min} to ${max}`, numTrainTimesteps);
  }
}
