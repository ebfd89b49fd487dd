import * as tf from '@tensorflow/tfjs-core';
import { heapBytesPerElement, heapOffset, isWasmHeapBackend } from './wasm-heap.js';

/**
 * `Concat` for tfjs-backend-wasm: every row of every input moves with one `copyWithin` on the
 * heap. tfjs-wasm 4.22's own makes a `subarray` view per row and input, which costs more than
 * the copy when rows are short (channel concatenation of NHWC maps: a few hundred bytes each).
 * Same inputs (`inputs[0..n-1]`), `axis` attribute and result as tfjs's.
 */
export const wasmConcatKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const xs = Object.values(inputs).filter((t): t is tf.TensorInfo => t !== undefined);
  const first = xs[0];
  if (first === undefined || !isWasmHeapBackend(backend)) throw new Error('wasm Concat: needs inputs on the wasm backend');
  const bytes = heapBytesPerElement(first.dtype);
  if (bytes === undefined) throw new Error(`wasm Concat: unsupported dtype ${first.dtype}`);
  const axis = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, first.shape)[0]!;
  tf.backend_util.assertParamsConsistent(
    xs.map((t) => t.shape),
    axis,
  );
  const outShape = tf.backend_util.computeOutShape(
    xs.map((t) => t.shape),
    axis,
  );
  const out = backend.makeOutput(outShape, first.dtype);
  const parts = xs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (parts.length === 0) return out;
  const outer = tf.util.sizeFromShape(first.shape.slice(0, axis));
  const rowBytes = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)) * bytes);
  const outRow = rowBytes.reduce((a, b) => a + b, 0);
  // Offsets only after makeOutput: allocating may grow (and so replace) the heap buffer.
  const heap = backend.wasm.HEAPU8;
  const dst = heapOffset(backend, out);
  let col = 0;
  parts.forEach((t, i) => {
    const len = rowBytes[i]!;
    const src = heapOffset(backend, t);
    if (outer === 1) {
      heap.copyWithin(dst + col, src, src + len);
    } else {
      for (let r = 0, from = src, to = dst + col; r < outer; r++, from += len, to += outRow) {
        heap.copyWithin(to, from, from + len);
      }
    }
    col += len;
  });
  return out;
};
