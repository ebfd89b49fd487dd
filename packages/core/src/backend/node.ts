/**
 * Node-only backend support, exported through `@yonos/core/node`: Dawn WebGPU from the
 * `webgpu` npm package, and loading tfjs-core's gradients in plain Node.
 * @packageDocumentation
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors.js';
import type { NodeBackendSupport } from './node-support.js';
import { parseThreadCount } from './threads.js';
import { installNodeWasmThreads, withNodeLogicalCores } from './wasm-threads-node.js';

const requireHere = createRequire(import.meta.url);

/** Debian/Ubuntu's chromium ships SwiftShader, a CPU Vulkan driver Dawn can use when no GPU driver is installed. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let webgpuSetup: Promise<void> | undefined;

/**
 * Install Dawn as `navigator.gpu` (and the WebGPU globals such as `GPUBufferUsage`) so that
 * `@tensorflow/tfjs-backend-webgpu` works in Node. Must run before that package is first
 * imported, because it registers its backend only if `navigator.gpu` exists at import time;
 * `useBackend('webgpu')` does this for you. When `VK_ICD_FILENAMES` is unset and Debian's
 * SwiftShader driver exists, points Vulkan at it (a CPU implementation: slow but complete).
 * Idempotent.
 * @param dawnOptions Toggles for Dawn's `create()`, e.g. `['adapter=SwiftShader']`.
 * @throws BackendUnavailableError when the `webgpu` package cannot be loaded.
 */
export function setupNodeWebGPU(dawnOptions: readonly string[] = []): Promise<void> {
  webgpuSetup ??= installDawn(dawnOptions).catch((err: unknown) => {
    webgpuSetup = undefined;
    throw err;
  });
  return webgpuSetup;
}

async function installDawn(dawnOptions: readonly string[]): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu !== undefined) return;
  if (process.env['VK_ICD_FILENAMES'] === undefined && existsSync(SWIFTSHADER_ICD)) {
    process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  }
  // Without it Dawn's Vulkan loader prints "XDG_RUNTIME_DIR is invalid or not set" on every
  // start (headless machines, containers, root shells); a private folder of our own answers it.
  if (process.env['XDG_RUNTIME_DIR'] === undefined || !existsSync(process.env['XDG_RUNTIME_DIR'])) {
    const dir = join(tmpdir(), `yonos-runtime-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env['XDG_RUNTIME_DIR'] = dir;
  }
  let dawn: { create(options: string[]): unknown; globals: object };
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (err) {
    throw new BackendUnavailableError(
      'webgpu',
      'the `webgpu` npm package (Dawn for Node) could not be loaded; run `npm install webgpu` ' +
        `(prebuilt for linux/mac/windows x64 and arm64). Cause: ${(err as Error).message}`,
      { cause: err },
    );
  }
  Object.assign(globalThis, dawn.globals);
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  Object.defineProperty(g.navigator, 'gpu', { value: dawn.create([...dawnOptions]), configurable: true, writable: true });
}

// tfjs-core's per-file ESM build (`dist/*.js`) is the only copy that contains the gradient
// functions, but it uses extensionless relative imports inside a package that is not marked
// `"type": "module"`, so plain Node cannot load it. These resolve/load hooks, scoped to that
// folder, add the extension and declare the format. Its tensors and registries are shared
// with the CommonJS build through tfjs's global engine, so one copy of state remains.
const TFJS_CORE_ESM_HOOKS = `
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const DIST = '/@tensorflow/tfjs-core/dist/';
const BUNDLE = /\\/tf-core\\.[a-z0-9.]*js$/;
function isFile(url) {
  try { return statSync(fileURLToPath(url)).isFile(); } catch { return false; }
}
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent !== undefined && parent.includes(DIST) && specifier.startsWith('.') && !/\\.[cm]?js$/.test(specifier)) {
    for (const candidate of [specifier + '.js', specifier + '/index.js']) {
      const url = new URL(candidate, parent);
      if (isFile(url)) return { url: url.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.startsWith('file:') && url.includes(DIST) && !BUNDLE.test(url)) {
    const result = await next(url, { ...context, format: 'module' });
    return { ...result, format: 'module' };
  }
  return next(url, context);
}
`;

// In a variable so that bundlers and vite's import analysis leave it alone.
const GRADIENTS_SPECIFIER = '@tensorflow/tfjs-core/dist/register_all_gradients.js';

let gradientsLoaded: Promise<void> | undefined;

/**
 * Register every gradient function of tfjs-core 4.x in Node (what the `@tensorflow/tfjs`
 * umbrella does on import). Adds a module-resolution hook (`node:module` `register`) that
 * only touches files under `@tensorflow/tfjs-core/dist/`. Idempotent; `useBackend` calls it.
 * @throws BackendUnavailableError (backend `'gradients'`) when the runtime lacks `module.register`.
 */
export function registerAllGradientsInNode(): Promise<void> {
  gradientsLoaded ??= (async () => {
    if (typeof register !== 'function') {
      throw new BackendUnavailableError(
        'gradients',
        'this runtime has no node:module register() (Node >= 20.6 has it); import ' +
          "'@tensorflow/tfjs-core/dist/register_all_gradients' through a bundler instead",
      );
    }
    register('data:text/javascript,' + encodeURIComponent(TFJS_CORE_ESM_HOOKS));
    await import(/* @vite-ignore */ GRADIENTS_SPECIFIER);
  })().catch((err: unknown) => {
    gradientsLoaded = undefined;
    throw err;
  });
  return gradientsLoaded;
}

/**
 * Let the threaded wasm build run in this Node process: installs the pthread `Worker` and
 * turns tfjs's multithreading flag on, for the tfjs YONOS runs on (see
 * `installNodeWasmThreads` of `@yonos/core/wasm-threads` for another tfjs copy). Call before
 * the wasm backend first initializes; idempotent. `useBackend('wasm')` calls it when more than
 * one thread is asked for.
 * @throws BackendUnavailableError when the runtime lacks SharedArrayBuffer or the threaded build's files are missing.
 */
export function enableNodeWasmThreads(): void {
  installNodeWasmThreads({ require: requireHere, env: tf.env() });
}

/**
 * The number of threads the wasm backend starts with in Node when none is asked for: the
 * `YONOS_THREADS` environment variable when set, else every core the process may use
 * (`os.availableParallelism()`).
 * @throws ThreadCountError when `YONOS_THREADS` is not a positive integer.
 */
export function defaultNodeThreads(): number {
  const fromEnv = process.env['YONOS_THREADS'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseThreadCount(fromEnv, 'YONOS_THREADS');
  return availableParallelism();
}

/**
 * The Node services the isomorphic `useBackend` loads on demand. Plumbing, not API: call
 * {@link setupNodeWebGPU} and {@link registerAllGradientsInNode} directly instead.
 * @internal
 */
export const nodeBackendSupport: NodeBackendSupport = {
  setupWebGPU: setupNodeWebGPU,
  registerAllGradients: registerAllGradientsInNode,
  enableWasmThreads: enableNodeWasmThreads,
  withLogicalCores: withNodeLogicalCores,
  defaultThreads: defaultNodeThreads,
};
