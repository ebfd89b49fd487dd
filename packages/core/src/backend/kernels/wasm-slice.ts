import * as tf from '@tensorflow/tfjs-core';
import { heapBytesPerElement, heapOffset, isWasmHeapBackend } from './wasm-heap.js';
import type { WasmHeapBackend } from './wasm-heap.js';

/**
 * A strided box of a row-major tensor: per dimension, the first index read, the step between
 * read indices (negative reads backwards) and how many are read.
 */
export interface StridedBox {
  readonly start: readonly number[];
  readonly step: readonly number[];
  readonly count: readonly number[];
}

/** Runs shorter than this many bytes are copied by a loop: a `copyWithin` call costs more. */
const SHORT_RUN_BYTES = 64;

/**
 * Copy a strided box of the row-major tensor of `shape` stored at byte `src` of `heap` into
 * a dense tensor at byte `dst` (element order: the box's, row-major). Trailing dimensions
 * read whole and forwards merge into contiguous runs, each moved with one `copyWithin` (a
 * native memmove), so only the box is read: a slice of channels is one run per pixel, a
 * spatial flip of a `[KH, KW, I, O]` filter is `KH * KW` runs.
 */
export function copyStridedBox(heap: Uint8Array, src: number, dst: number, shape: readonly number[], box: StridedBox, bytesPerElement: number): void {
  const rank = shape.length;
  if (box.count.some((c) => c === 0)) return;
  const strides = new Array<number>(rank);
  let acc = bytesPerElement;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d]!;
  }
  // Dimensions p+1.. are read whole and forwards: they form the tail of every run.
  let p = rank - 1;
  let runElems = 1;
  while (p >= 0 && box.step[p] === 1 && box.start[p] === 0 && box.count[p] === shape[p]) {
    runElems *= shape[p]!;
    p--;
  }
  // A forward dimension p extends the run too; outer dimensions 0..last are iterated.
  let last = p;
  if (p >= 0 && box.step[p] === 1) {
    runElems *= box.count[p]!;
    last = p - 1;
  }
  let from = src;
  for (let d = 0; d <= p; d++) from += box.start[d]! * strides[d]!;
  const runBytes = runElems * bytesPerElement;
  const copy = runBytes >= SHORT_RUN_BYTES ? copyLong : bytesPerElement === 4 ? copyShort32(heap) : copyShort8;
  if (last < 0) {
    copy(heap, dst, from, runBytes);
    return;
  }
  const idx = new Array<number>(last + 1).fill(0);
  const jump = idx.map((_, d) => box.step[d]! * strides[d]!);
  let to = dst;
  for (;;) {
    copy(heap, to, from, runBytes);
    to += runBytes;
    let d = last;
    for (; d >= 0; d--) {
      idx[d]!++;
      from += jump[d]!;
      if (idx[d]! < box.count[d]!) break;
      from -= idx[d]! * jump[d]!;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

type Copy = (heap: Uint8Array, to: number, from: number, bytes: number) => void;

const copyLong: Copy = (heap, to, from, bytes) => {
  heap.copyWithin(to, from, from + bytes);
};

const copyShort8: Copy = (heap, to, from, bytes) => {
  for (let i = 0; i < bytes; i++) heap[to + i] = heap[from + i]!;
};

// Four-byte elements sit at four-byte aligned offsets (the heap allocator aligns tensors).
// Unsigned shifts: the wasm heap and its offsets may pass 2 GiB.
function copyShort32(heap: Uint8Array): Copy {
  const words = new Int32Array(heap.buffer, heap.byteOffset, heap.byteLength >>> 2);
  return (_heap, to, from, bytes) => {
    const t = to >>> 2;
    const f = from >>> 2;
    const n = bytes >>> 2;
    for (let i = 0; i < n; i++) words[t + i] = words[f + i]!;
  };
}

/** A dense copy of a strided box of `x` into a new heap tensor of shape `outShape` (same size as the box). */
function copyOut(backend: WasmHeapBackend, x: tf.TensorInfo, box: StridedBox, outShape: number[]): tf.TensorInfo {
  const bytes = heapBytesPerElement(x.dtype);
  if (bytes === undefined) throw new Error(`wasm heap copy: unsupported dtype ${x.dtype}`);
  const out = backend.makeOutput(outShape, x.dtype);
  // Read the heap only after makeOutput: allocating may grow (and so replace) the memory buffer.
  copyStridedBox(backend.wasm.HEAPU8, heapOffset(backend, x), heapOffset(backend, out), x.shape, box, bytes);
  return out;
}

const forward = (begin: readonly number[], size: readonly number[]): StridedBox => ({
  start: begin,
  step: begin.map(() => 1),
  count: size,
});

function wasmInput(inputs: tf.NamedTensorInfoMap, backend: unknown, kernel: string): [tf.TensorInfo, WasmHeapBackend] {
  const x = inputs['x'];
  if (x === undefined || !isWasmHeapBackend(backend)) throw new Error(`wasm ${kernel}: needs input x on the wasm backend`);
  return [x, backend];
}

/**
 * `Slice` for tfjs-backend-wasm, copying only the sliced box between heap buffers.
 * tfjs-wasm 4.22's own first copies the whole input off the heap (`readSync`) for every
 * slice. Same inputs, attributes and result as tfjs's.
 */
export const wasmSliceKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const [x, wasm] = wasmInput(inputs, backend, 'Slice');
  const { begin, size } = attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
  return copyOut(wasm, x, forward(b, s), s);
};

/**
 * `SplitV` for tfjs-backend-wasm: each piece is one heap box copy, so a split reads its input
 * once (tfjs-wasm 4.22's copies the whole input once per piece). Same attributes as tfjs's.
 */
export const wasmSplitVKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const [x, wasm] = wasmInput(inputs, backend, 'SplitV');
  const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((piece) => {
    const size = [...x.shape];
    size[ax] = piece;
    const out = copyOut(wasm, x, forward([...begin], size), size);
    begin[ax]! += piece;
    return out;
  });
};

/**
 * `Reverse` for tfjs-backend-wasm as one heap box copy read backwards along `dims`: a flip of
 * the leading axes moves whole trailing blocks. tfjs-wasm 4.22's computes every element's
 * index (~4x the cost of the filter's forward conv for the spatial flip every conv input
 * gradient needs). Same attributes (`dims`) and result as tfjs's.
 */
export const wasmReverseKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const [x, wasm] = wasmInput(inputs, backend, 'Reverse');
  const axes = tf.util.parseAxisParam((attrs as unknown as { dims: number | number[] }).dims, x.shape);
  const box: StridedBox = {
    start: x.shape.map((n, d) => (axes.includes(d) ? n - 1 : 0)),
    step: x.shape.map((_, d) => (axes.includes(d) ? -1 : 1)),
    count: x.shape,
  };
  return copyOut(wasm, x, box, [...x.shape]);
};

/** Attributes tfjs passes to the `StridedSlice` kernel. */
interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

/**
 * `StridedSlice` for tfjs-backend-wasm as one heap box copy: tfjs's own index arithmetic
 * (`slice_util.sliceInfo`) resolves masks and negative indices, then the box is copied run
 * by run. tfjs-wasm 4.22's computes every element's index through heap-allocated vectors
 * (tens of ms for a filter's phase taps in strided conv gradients). Same attributes and
 * result as tfjs's.
 */
export const wasmStridedSliceKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const [x, wasm] = wasmInput(inputs, backend, 'StridedSlice');
  const a = attrs as unknown as StridedSliceAttrs;
  const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
  const count = tf.slice_util.computeOutShape(info.begin, info.end, info.strides).map((c) => Math.max(0, c));
  if (tf.util.sizeFromShape(count) !== tf.util.sizeFromShape(info.finalShape)) {
    throw new Error(`wasm StridedSlice: box [${count.join(', ')}] does not match output shape [${info.finalShape.join(', ')}]`);
  }
  const out = copyOut(wasm, x, { start: info.begin, step: info.strides, count }, count);
  // The dense box and the final shape hold the same elements (they differ by unit axes only).
  out.shape = info.finalShape;
  return out;
};
