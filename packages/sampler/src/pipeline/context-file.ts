import * as tf from '@tensorflow/tfjs-core';
import { PretrainedError } from '@yonos/core';
import type { ModelStore, WritableModelStore } from '@yonos/core';

/** Where {@link YonosPipeline.savePretrained} stores a custom cross-attention context. */
export const CONTEXT_FILE = 'context.safetensors';
/** The tensor's name inside {@link CONTEXT_FILE}. */
export const CONTEXT_TENSOR = 'context';

/**
 * Reads a cross-attention context `[1, L, D]` saved by {@link writeContext}.
 * @returns float32 `[1, L, D]`; caller owns it.
 * @throws PretrainedError if the file lacks the tensor or it is not rank 3.
 */
export async function readContext(store: ModelStore, path: string): Promise<tf.Tensor3D> {
  const reader = await store.openSafetensors(path);
  try {
    if (!reader.has(CONTEXT_TENSOR)) {
      throw new PretrainedError(`${store.location}/${path} has no tensor "${CONTEXT_TENSOR}"; save the pipeline again or remove "context" from model_index.json.`);
    }
    const stored = await reader.tensor(CONTEXT_TENSOR);
    if (stored.rank !== 3) {
      const shape = stored.shape.join(', ');
      stored.dispose();
      throw new PretrainedError(`${store.location}/${path}: "${CONTEXT_TENSOR}" must be [1, L, D], got [${shape}].`);
    }
    if (stored.dtype === 'float32') return stored as tf.Tensor3D;
    const cast = tf.cast(stored, 'float32') as tf.Tensor3D;
    stored.dispose();
    return cast;
  } finally {
    await reader.close();
  }
}

/** Writes a cross-attention context `[1, L, D]` as float32 safetensors (the tensor is not disposed). */
export async function writeContext(store: WritableModelStore, path: string, context: tf.Tensor3D): Promise<void> {
  await store.writeSafetensors(path, new Map([[CONTEXT_TENSOR, context]]), { dtype: 'F32', metadata: { format: 'pt' } });
}
