import { loadNodeEntry } from '../node-entry.js';

/**
 * The Node-only services the isomorphic backend code needs, and how it reaches them
 * without a static import (so browser bundles never see `node:*` or `webgpu`).
 */
export interface NodeBackendSupport {
  /** Make `navigator.gpu` a Dawn instance (the `webgpu` npm package); idempotent. */
  setupWebGPU(dawnOptions?: readonly string[]): Promise<void>;
  /** Register tfjs-core's gradient functions in plain Node, where its ESM files need help to load; idempotent. */
  registerAllGradients(): Promise<void>;
  /** Let the threaded wasm build run here (pthread workers, tfjs's flag); idempotent. */
  enableWasmThreads(): void;
  /** Run the wasm backend's start-up so that its native pool gets `threads` threads. */
  withLogicalCores<T>(threads: number, start: () => Promise<T>): Promise<T>;
  /** Threads when none are asked for: `YONOS_THREADS`, else every core (`os.availableParallelism()`). */
  defaultThreads(): number;
}

/** Load the Node services from `@yonos/core/internal/node` on demand. Call only when {@link isNode} is true. */
export async function loadNodeSupport(): Promise<NodeBackendSupport> {
  return (await loadNodeEntry()).nodeBackendSupport;
}
