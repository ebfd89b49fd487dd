/**
 * A kernel profiler for benchmarks: wraps every kernel registered for a backend (YONOS's
 * training kernels included) with a timer that, while switched on, adds each call's *self*
 * time (its own time minus the kernels it ran inside, e.g. the transposes and convs of a
 * polyfilled `Conv2DBackpropFilter`, listed as `Conv2DBackpropFilter>Transpose`...) to a
 * per-kernel total. The wasm backend runs kernels
 * synchronously, so wall time around a call is the kernel's time. `tf.profile` reports
 * nested kernels inside their parents and costs a data read per kernel; this does neither.
 * Not a module of the package: imported by `train.bench.ts` only.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Per kernel name: calls and milliseconds of self time. */
export type KernelTimes = Record<string, { calls: number; ms: number }>;

interface Frame {
  readonly name: string;
  child: number;
}

let on = false;
let times: KernelTimes = {};
const stack: Frame[] = [];
const wrapped = new Set<string>();

/**
 * Wraps the kernels registered for `backendName` (idempotent per backend). Call after
 * `useBackend` so the wrapped kernels are the ones training uses.
 */
export function installKernelProfiler(backendName: string): void {
  if (wrapped.has(backendName)) return;
  wrapped.add(backendName);
  for (const config of tf.getKernelsForBackend(backendName)) {
    const inner = config.kernelFunc;
    const name = config.kernelName;
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (!on) return inner(args);
        const outer = stack[stack.length - 1];
        // Kernels a YONOS kernel runs inside are listed under it: `Conv2DBackpropFilter>Transpose`.
        const frame: Frame = { name: outer !== undefined ? `${outer.name}>${name}` : name, child: 0 };
        stack.push(frame);
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          const total = performance.now() - t0;
          stack.pop();
          const parent = stack[stack.length - 1];
          if (parent !== undefined) parent.child += total;
          const entry = (times[frame.name] ??= { calls: 0, ms: 0 });
          entry.calls += 1;
          entry.ms += total - frame.child;
        }
      },
    });
  }
}

/** Starts a new profile (clearing the last one). */
export function startKernelProfile(): void {
  times = {};
  on = true;
}

/** Stops profiling; returns the per-kernel self times since {@link startKernelProfile}. */
export function stopKernelProfile(): KernelTimes {
  on = false;
  return times;
}

/**
 * Per kernel, the least time of several profiles of the same work (one per step): on a loaded
 * machine a kernel's time is inflated whenever the scheduler takes the core away, and the
 * minimum over steps filters that out. Calls are the first profile's.
 */
export function minKernelTimes(profiles: readonly KernelTimes[]): KernelTimes {
  const out: KernelTimes = {};
  for (const [name, first] of Object.entries(profiles[0] ?? {})) {
    out[name] = { calls: first.calls, ms: Math.min(...profiles.map((p) => p[name]?.ms ?? first.ms)) };
  }
  return out;
}
