import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterKernel } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputKernel } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterKernel, depthwiseBackpropInputKernel } from './depthwise-backprop.js';
import { cosKernel, sinKernel } from './precise-trig.js';
import { resizeNearestNeighborGradKernel } from './resize-nearest-grad.js';
import { unsortedSegmentSumKernel } from './unsorted-segment-sum.js';

/** When a backend's own kernel is set aside: always, or only for the attributes it gets wrong. */
type Replacement = 'always' | ((attrs: tf.NamedAttrMap) => boolean);

/** A kernel YONOS can supply to a backend so that training works there. */
interface KernelPolyfill {
  readonly kernelName: string;
  readonly kernelFunc: tf.KernelFunc;
  /**
   * Backends whose own kernel this replaces because theirs was measured far slower or found
   * wrong. Everywhere else the polyfill is registered only where the backend has no kernel of
   * that name.
   */
  readonly replaces: Readonly<Record<string, Replacement>>;
}

const halfPixelCenters = (attrs: tf.NamedAttrMap): boolean => attrs['halfPixelCenters'] === true;

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
];

/** Per backend: the kernels YONOS registered, each with the backend's own config it displaced (if any). */
const installed = new Map<string, Map<string, tf.KernelConfig | undefined>>();

/**
 * Give a backend every kernel training needs: registers, through tfjs's kernel registry,
 * the polyfills for the kernels it lacks (on wasm: `Conv2DBackpropFilter`, the depthwise
 * backprops, `UnsortedSegmentSum`) and replaces the ones measured far too slow (wasm's
 * `Conv2DBackpropInput`, cpu's `Conv2DBackpropFilter`) or found wrong (cpu's `ResizeNearestNeighborGrad`, webgpu's
 * low-precision `Sin`/`Cos`). Model code stays backend-agnostic. Idempotent; `useBackend` calls it.
 * Call it yourself after `tf.setBackend` if you bypass `useBackend`.
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
function delegate(own: tf.KernelConfig, polyfill: tf.KernelFunc, usePolyfill: (attrs: tf.NamedAttrMap) => boolean): tf.KernelFunc {
  return (args) => (usePolyfill(args.attrs ?? {}) ? polyfill(args) : own.kernelFunc(args));
}

/**
 * Undo {@link registerTrainingKernels} for a backend: remove YONOS's kernels and restore the
 * backend's own where one was replaced. For benchmarks and tests that compare both.
 */
export function unregisterTrainingKernels(backendName: string): void {
  const mine = installed.get(backendName);
  if (mine === undefined) return;
  for (const [kernelName, own] of mine) {
    tf.unregisterKernel(kernelName, backendName);
    if (own !== undefined) tf.registerKernel(own);
  }
  installed.delete(backendName);
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
