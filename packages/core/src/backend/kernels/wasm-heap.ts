import type * as tf from '@tensorflow/tfjs-core';

/**
 * The part of tfjs-backend-wasm's `BackendWasm` that heap-level kernels use: every tensor
 * lives at a byte offset of the module's linear memory. Typed here structurally so that
 * core does not import the wasm package at runtime.
 */
export interface WasmHeapBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: object): { readonly memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** Whether `backend` exposes the wasm heap (tfjs-backend-wasm's `BackendWasm`). */
export function isWasmHeapBackend(backend: unknown): backend is WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend> | null;
  return (
    b != null &&
    typeof b.makeOutput === 'function' &&
    b.dataIdMap !== undefined &&
    b.wasm !== undefined &&
    b.wasm.HEAPU8 instanceof Uint8Array
  );
}

/** Bytes per element of the dtypes the wasm heap stores (strings live outside it). */
export function heapBytesPerElement(dtype: tf.DataType): number | undefined {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    default:
      return undefined;
  }
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmHeapBackend, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('tensor data is not on this wasm backend');
  return data.memoryOffset;
}
