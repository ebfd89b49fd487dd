import type * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's `BackendWasm` that {@link wasmIdentityKernel} uses. */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * `Identity` (`tf.clone`, and the engine's copy of every tensor a gradient saves for the
 * backward pass) for tfjs-backend-wasm: the output shares the input's heap buffer and counts
 * one more reference to it, as tfjs's cpu and webgl backends do and as wasm's own `Reshape`
 * does. tfjs-wasm 4.22's own copies the whole buffer on the calling thread (some thousand copies
 * of the activations per training step). Safe because no kernel writes into its inputs; the
 * buffer is freed with its last tensor.
 */
export const wasmIdentityKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs['x'];
  if (x === undefined) throw new Error("wasm Identity: kernel input 'x' is missing");
  (backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};
