import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulKernel, isPlainMatMul } from './batch-mat-mul.js';
import { conv2DBackpropFilterKernel } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputKernel } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterKernel, depthwiseBackpropInputKernel } from './depthwise-backprop.js';
import { cosKernel, sinKernel } from './precise-trig.js';
import { resizeNearestNeighborGradKernel } from './resize-nearest-grad.js';
import { isLeadingAxesSum, sumLeadingAxesKernel } from './sum-leading-axes.js';
import { unsortedSegmentSumKernel } from './unsorted-segment-sum.js';
import { wasmConcatKernel } from './wasm-concat.js';
import { wasmIdentityKernel } from './wasm-identity.js';
import { wasmReverseKernel, wasmSliceKernel, wasmSplitVKernel, wasmStridedSliceKernel } from './wasm-slice.js';

/** When a backend's own kernel is set aside: always, or only for the calls it gets wrong (or slow). */
type Replacement = 'always' | ((attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap) => boolean);

/** A kernel YONOS can supply to a backend so that training works there, or runs fast enough. */
interface KernelPolyfill {
  readonly kernelName: string;
  readonly kernelFunc: tf.KernelFunc;
  /**
   * Backends whose own kernel this replaces because theirs was measured far slower or found
   * wrong. Everywhere else the polyfill is registered only where the backend has no kernel of
   * that name.
   */
  readonly replaces: Readonly<Record<string, Replacement>>;
  /** Register on these backends only (kernels written against one backend's internals). */
  readonly only?: readonly string[];
}

const halfPixelCenters = (attrs: tf.NamedAttrMap): boolean => attrs['halfPixelCenters'] === true;
const onHeap = (_attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap): boolean =>
  Object.values(inputs).every((t) => t === undefined || t.dtype !== 'string');
const notPlainMatMul = (attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap): boolean => !isPlainMatMul(inputs, attrs);
const leadingSum = (attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap): boolean => isLeadingAxesSum(inputs, attrs);

const POLYFILLS: readonly KernelPolyfill[] = [
  // wasm has none; the forward-conv formulation runs at ~16-20 GFLOP/s vs 2-6 for im2col + matMul.
  // cpu's own runs at 1-3% of its forward conv (0.01 GFLOP/s), this at 85-100%.
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilterKernel, replaces: { cpu: 'always' } },
  // wasm's own runs ~3 GFLOP/s; as forward convs (flipped, channel-swapped filter) 21-36.
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInputKernel, replaces: { wasm: 'always' } },
  // wasm lacks both: gradients of depthwiseConv2d (blur kernels).
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', kernelFunc: depthwiseBackpropFilterKernel, replaces: {} },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', kernelFunc: depthwiseBackpropInputKernel, replaces: {} },
  // wasm lacks it: the gradient of gather.
  { kernelName: 'UnsortedSegmentSum', kernelFunc: unsortedSegmentSumKernel, replaces: {} },
  // cpu's is wrong for batch > 1 (reads dy at the input's batch stride); wasm's and webgpu's
  // ignore halfPixelCenters (wrong whenever the scale is not an integer).
  {
    kernelName: 'ResizeNearestNeighborGrad',
    kernelFunc: resizeNearestNeighborGradKernel,
    replaces: { cpu: 'always', wasm: halfPixelCenters, webgpu: halfPixelCenters },
  },
  // WGSL sin/cos are only required to be within 2^-11 on [-pi, pi]; SwiftShader's miss 1e-4.
  { kernelName: 'Sin', kernelFunc: sinKernel, replaces: { webgpu: 'always' } },
  { kernelName: 'Cos', kernelFunc: cosKernel, replaces: { webgpu: 'always' } },
  // wasm's runs transposed or batched products (every matMul gradient) as a scalar loop,
  // 10-20x slower than explicit transposes + its XNNPACK product; plain calls stay native.
  // Only where the backend's own kernel stays for the plain products this one issues.
  { kernelName: 'BatchMatMul', kernelFunc: batchMatMulKernel, replaces: { wasm: notPlainMatMul }, only: ['wasm'] },
  // wasm's transposes the reduced axes innermost first; a sum over leading axes (every bias
  // gradient) is one ones-row matMul instead, 25-30x faster.
  { kernelName: 'Sum', kernelFunc: sumLeadingAxesKernel, replaces: { wasm: leadingSum }, only: ['wasm'] },
  // wasm's copy the whole input off the heap for every slice (SplitV: for every piece),
  // concatenate through one subarray per row, and reverse / strided-slice with per-element
  // index arithmetic (the filter flips of every conv input gradient: slower than the conv);
  // these move heap bytes with copyWithin, run by run. Strings stay native.
  { kernelName: 'Slice', kernelFunc: wasmSliceKernel, replaces: { wasm: onHeap }, only: ['wasm'] },
  { kernelName: 'SplitV', kernelFunc: wasmSplitVKernel, replaces: { wasm: onHeap }, only: ['wasm'] },
  { kernelName: 'Concat', kernelFunc: wasmConcatKernel, replaces: { wasm: onHeap }, only: ['wasm'] },
  { kernelName: 'Reverse', kernelFunc: wasmReverseKernel, replaces: { wasm: onHeap }, only: ['wasm'] },
  { kernelName: 'StridedSlice', kernelFunc: wasmStridedSliceKernel, replaces: { wasm: onHeap }, only: ['wasm'] },
  // wasm's copies the buffer; the engine clones every tensor a gradient saves (about a thousand
  // activations per U-Net training step). This shares it, counting references as cpu's does.
  { kernelName: 'Identity', kernelFunc: wasmIdentityKernel, replaces: { wasm: onHeap }, only: ['wasm'] },
];

/** Per backend: the kernels YONOS registered, each with the backend's own config it displaced (if any). */
const installed = new Map<string, Map<string, tf.KernelConfig | undefined>>();

/**
 * Give a backend every kernel training needs: registers, through tfjs's kernel registry,
 * the polyfills for the kernels it lacks (on wasm: `Conv2DBackpropFilter`, the depthwise
 * backprops, `UnsortedSegmentSum`) and replaces the ones measured far too slow (wasm's
 * `Conv2DBackpropInput`, transposed/batched `BatchMatMul`, leading-axes `Sum`, `Slice`,
 * `SplitV`, `Concat`, `Reverse`, `StridedSlice`, copying `Identity`; cpu's
 * `Conv2DBackpropFilter`) or found wrong (cpu's `ResizeNearestNeighborGrad`, webgpu's
 * low-precision `Sin`/`Cos`). Model code stays backend-agnostic. Idempotent; `useBackend`
 * calls it. Call it yourself after `tf.setBackend` if you bypass `useBackend`.
 * @param backendName A registered tfjs backend name (the kernels of its package must be loaded).
 * @returns The kernel names YONOS now provides for that backend.
 */
export function registerTrainingKernels(backendName: string): readonly string[] {
  let mine = installed.get(backendName);
  if (mine === undefined) {
    mine = new Map();
    installed.set(backendName, mine);
  }
  for (const p of POLYFILLS) {
    if (mine.has(p.kernelName)) continue;
    if (p.only !== undefined && !p.only.includes(backendName)) continue;
    const own = tf.getKernel(p.kernelName, backendName);
    const replacement = p.replaces[backendName];
    if (own !== undefined && replacement === undefined) continue;
    if (own !== undefined) tf.unregisterKernel(p.kernelName, backendName);
    tf.registerKernel({
      kernelName: p.kernelName,
      backendName,
      kernelFunc: own === undefined || replacement === 'always' ? p.kernelFunc : delegate(own, p.kernelFunc, replacement ?? (() => true)),
      // Keeping the displaced kernel's setup/dispose lets tfjs prepare it, so it can still be called.
      ...(own?.setupFunc !== undefined ? { setupFunc: own.setupFunc } : {}),
      ...(own?.disposeFunc !== undefined ? { disposeFunc: own.disposeFunc } : {}),
    });
    mine.set(p.kernelName, own);
  }
  return polyfilledKernels(backendName);
}

/** The backend's own kernel, except for the attributes where `usePolyfill` says it is wrong. */
function delegate(
  own: tf.KernelConfig,
  polyfill: tf.KernelFunc,
  usePolyfill: (attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap) => boolean,
): tf.KernelFunc {
  return (args) => (usePolyfill(args.attrs ?? {}, args.inputs) ? polyfill(args) : own.kernelFunc(args));
}

/**
 * Undo {@link registerTrainingKernels} for a backend: remove YONOS's kernels and restore the
 * backend's own where one was replaced. For benchmarks and tests that compare both;
 * {@link registerTrainingKernels} puts them back.
 * @param kernelNames Only these kernels (default: all of them).
 */
export function unregisterTrainingKernels(backendName: string, kernelNames?: readonly string[]): void {
  const mine = installed.get(backendName);
  if (mine === undefined) return;
  for (const [kernelName, own] of [...mine]) {
    if (kernelNames !== undefined && !kernelNames.includes(kernelName)) continue;
    tf.unregisterKernel(kernelName, backendName);
    if (own !== undefined) tf.registerKernel(own);
    mine.delete(kernelName);
  }
  if (mine.size === 0) installed.delete(backendName);
}

/** Kernel names YONOS currently provides for `backendName` (empty if none). */
export function polyfilledKernels(backendName: string): readonly string[] {
  return [...(installed.get(backendName)?.keys() ?? [])];
}

/**
 * The backend's own kernel of that name, even when YONOS replaced it; `undefined` when the
 * backend has none. Lets benchmarks time tfjs's path next to YONOS's.
 */
export function nativeKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  const mine = installed.get(backendName);
  if (mine?.has(kernelName) === true) return mine.get(kernelName);
  return tf.getKernel(kernelName, backendName);
}
