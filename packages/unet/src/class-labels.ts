import * as tf from '@tensorflow/tfjs-core';
import type { DenoiserClassConditioning, DenoiserClassLabels } from '@yonos/core';
import { UnetClassLabelError } from './errors.js';
import { validatesValues } from './input-checks.js';
import type { UNetInputValidation } from './input-checks.js';

/** What each kind of class conditioning takes, for error messages. */
function expected(conditioning: DenoiserClassConditioning, batch: number): string {
  switch (conditioning.kind) {
    case 'index':
      return `integer labels in [0, ${conditioning.numClasses}): a number, a list or an int32 [${batch}] tensor (one per sample, or one for all)`;
    case 'timestep':
      return `numbers embedded like timesteps: a number, a list or a [${batch}] tensor (one per sample, or one for all)`;
    case 'vector':
      return `a float32 [${batch}, ${conditioning.dim}] tensor of label vectors (or [1, ${conditioning.dim}] for all)`;
  }
}

function describeLabels(labels: DenoiserClassLabels): string {
  if (typeof labels === 'number') return String(labels);
  if (labels instanceof tf.Tensor) return `a ${labels.dtype} tensor of shape [${labels.shape.join(', ')}]`;
  return `a list of ${(labels as readonly number[]).length}`;
}

function checkHostNumbers(where: string, conditioning: DenoiserClassConditioning, values: readonly number[]): void {
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new UnetClassLabelError(`${where}: class label ${String(v)} is not a finite number.`);
    }
    if (conditioning.kind === 'index' && (!Number.isInteger(v) || v < 0 || v >= conditioning.numClasses)) {
      throw new UnetClassLabelError(
        `${where}: class label ${v} is not an integer in [0, ${conditioning.numClasses}) (num_class_embeds = ${conditioning.numClasses}, ` +
          'the rows of class_embedding); for the Stable Diffusion x4 upscaler the label is the noise level, at most max_noise_level.',
      );
    }
  }
}

/**
 * The shape, dtype and (for numbers) value checks of a U-Net's class labels against its
 * conditioning; free (no tensor is read).
 * @param conditioning The model's `classConditioning` (`undefined`: the model takes no labels).
 * @param batch The sample's batch size `N`; labels must have `N` entries or one.
 * @throws {@link UnetClassLabelError} saying what to pass instead.
 */
export function checkClassLabels(
  where: string,
  conditioning: DenoiserClassConditioning | undefined,
  labels: DenoiserClassLabels | undefined,
  batch: number,
): void {
  if (conditioning === undefined) {
    if (labels === undefined) return;
    throw new UnetClassLabelError(
      `${where}: this network has no class embedding (num_class_embeds and class_embed_type are null in its config), ` +
        `but classLabels were given (${describeLabels(labels)}); call forward without them.`,
    );
  }
  if (labels === undefined) {
    throw new UnetClassLabelError(
      `${where}: this network is class-conditioned (${conditioning.kind}) and needs options.classLabels: ${expected(conditioning, batch)}.`,
    );
  }
  const wrong = (why: string): UnetClassLabelError =>
    new UnetClassLabelError(`${where}: classLabels ${why}; pass ${expected(conditioning, batch)}.`);
  if (typeof labels === 'number' || Array.isArray(labels)) {
    if (conditioning.kind === 'vector') throw wrong(`are ${describeLabels(labels)}, not a tensor`);
    const values = typeof labels === 'number' ? [labels] : (labels as readonly number[]);
    if (values.length !== 1 && values.length !== batch) throw wrong(`have ${values.length} entries for a batch of ${batch}`);
    checkHostNumbers(where, conditioning, values);
    return;
  }
  if (!(labels instanceof tf.Tensor)) throw wrong(`are ${typeof labels}`);
  if (labels.dtype !== 'int32' && labels.dtype !== 'float32') throw wrong(`are a ${labels.dtype} tensor`);
  if (conditioning.kind === 'vector') {
    if (labels.rank !== 2 || labels.shape[1] !== conditioning.dim) throw wrong(`have shape [${labels.shape.join(', ')}]`);
    if (labels.shape[0] !== 1 && labels.shape[0] !== batch) throw wrong(`have ${labels.shape[0]} rows for a batch of ${batch}`);
    return;
  }
  if (labels.rank > 1) throw wrong(`have shape [${labels.shape.join(', ')}]`);
  if (labels.size !== 1 && labels.size !== batch) throw wrong(`have ${labels.size} entries for a batch of ${batch}`);
}

/**
 * The value checks of class labels given as a tensor, when `validate` asks for them on this
 * backend: finite values and, for a table, integers in `[0, numClasses)`. One reduction and one
 * synchronous read of four numbers.
 * @throws {@link UnetClassLabelError} naming the offending values.
 */
export function checkClassLabelValues(
  where: string,
  conditioning: DenoiserClassConditioning | undefined,
  labels: DenoiserClassLabels | undefined,
  validate: UNetInputValidation,
): void {
  if (conditioning === undefined || !(labels instanceof tf.Tensor) || labels.size === 0 || !validatesValues(validate)) return;
  const stats = tf.tidy(() => {
    const x = tf.cast(labels, 'float32');
    const parts = [tf.all(tf.isFinite(x)), tf.all(tf.equal(x, tf.floor(x))), tf.min(x), tf.max(x)];
    return tf.stack(parts.map((p) => tf.cast(p, 'float32')));
  });
  let values: Float32Array;
  try {
    values = stats.dataSync() as Float32Array;
  } catch (cause) {
    throw new UnetClassLabelError(
      `${where}: validateInputs is true, but the ${tf.getBackend()} backend cannot read the class label check's result synchronously; ` +
        "set validateInputs to 'auto' or false on this backend.",
      { cause },
    );
  } finally {
    stats.dispose();
  }
  const [finite, integral, min, max] = Array.from(values);
  if (finite !== 1) throw new UnetClassLabelError(`${where}: the classLabels tensor contains NaN or infinite values.`);
  if (conditioning.kind !== 'index') return;
  if (integral !== 1 || min! < 0 || max! >= conditioning.numClasses) {
    throw new UnetClassLabelError(
      `${where}: classLabels range from ${min} to ${max}${integral === 1 ? '' : ' and are not all integers'}; the class embedding ` +
        `table has ${conditioning.numClasses} rows (num_class_embeds), so labels must be integers in [0, ${conditioning.numClasses}).`,
    );
  }
}
