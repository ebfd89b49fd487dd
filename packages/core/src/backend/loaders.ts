import * as tf from '@tensorflow/tfjs-core';
import { isBrowser, isNode } from './environment.js';
import { BackendUnavailableError } from './errors.js';
import { loadNodeSupport } from './node-support.js';
import { parseThreadCount } from './threads.js';
import type { BackendName, GpuAdapterDescription, UseBackendOptions } from './types.js';
import type * as TfjsBackendWasm from '@tensorflow/tfjs-backend-wasm';

// An optional peer dependency: a literal specifier would make bundlers and the type
// checker insist that it be installed.
const TFJS_NODE_SPECIFIER = '@tensorflow/tfjs-node';

/** The minimal WebGPU surface used here (lib.dom of TypeScript 5.9 does not declare WebGPU). */
interface GpuAdapterLike {
  readonly info?: Partial<GpuAdapterDescription>;
  requestAdapterInfo?: () => Promise<Partial<GpuAdapterDescription>>;
}
interface GpuLike {
  requestAdapter(options?: object): Promise<GpuAdapterLike | null>;
}

type WasmModule = typeof TfjsBackendWasm;

/** What loading a backend's package learned that {@link BackendInfo} reports later. */
export interface LoadedBackend {
  readonly adapter?: GpuAdapterDescription;
  readonly wasm?: WasmModule;
  /** wasm: the threads asked for when the backend was first set up. */
  readonly threads?: number;
}

const loaded = new Map<BackendName, LoadedBackend>();

/** What {@link loadBackendPackage} learned about `name`, if it ran. */
export function loadedBackend(name: BackendName): LoadedBackend | undefined {
  return loaded.get(name);
}

function unavailable(name: BackendName, reason: string, cause?: unknown): BackendUnavailableError {
  return new BackendUnavailableError(name, reason, cause === undefined ? undefined : { cause });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Import the tfjs package of a backend (which registers its kernels and factory), after any
 * environment setup it needs (Dawn in Node for webgpu), and check that it can run here.
 * @throws BackendUnavailableError saying why not and what to do.
 */
export async function loadBackendPackage(name: BackendName, options: UseBackendOptions = {}): Promise<void> {
  let info: LoadedBackend = loaded.get(name) ?? {};
  switch (name) {
    case 'cpu':
      await importOrExplain(name, () => import('@tensorflow/tfjs-backend-cpu'));
      break;
    case 'wasm': {
      const wasm = await importOrExplain(name, () => import('@tensorflow/tfjs-backend-wasm'));
      const initialized = tf.engine().registry['wasm'] !== undefined;
      if (initialized) {
        checkThreadsUnchanged(options, info.threads);
        break;
      }
      if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths as string | { [file: string]: string });
      const threads = await requestedThreads(options);
      if (threads > 1 && isNode() && !isBrowser()) (await loadNodeSupport()).enableWasmThreads();
      // One thread: the plain SIMD build, without a pool of idle workers.
      if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setThreadsCount(threads);
      info = { ...info, wasm, threads };
      break;
    }
    case 'webgpu': {
      if (isNode() && !isBrowser()) await (await loadNodeSupport()).setupWebGPU(options.dawnOptions);
      info = { ...info, adapter: info.adapter ?? (await probeWebGPUAdapter()) };
      await importOrExplain(name, () => import('@tensorflow/tfjs-backend-webgpu'));
      if (tf.engine().registryFactory['webgpu'] === undefined) {
        throw unavailable(
          name,
          '@tensorflow/tfjs-backend-webgpu was imported before navigator.gpu existed, so it did not register itself; ' +
            "in Node call useBackend('webgpu') (or setupNodeWebGPU() from @yonos/core/node) before anything imports that package",
        );
      }
      break;
    }
    case 'webgl': {
      const g = globalThis as { document?: unknown; OffscreenCanvas?: unknown };
      if (g.document === undefined && g.OffscreenCanvas === undefined) {
        throw unavailable(name, "WebGL needs a browser (an HTML canvas or OffscreenCanvas); in Node use 'wasm' or 'webgpu'");
      }
      await importOrExplain(name, () => import('@tensorflow/tfjs-backend-webgl'));
      const renderer = info.adapter ?? probeWebGLRenderer();
      if (renderer !== undefined) info = { ...info, adapter: renderer };
      break;
    }
    case 'tensorflow': {
      if (!isNode() || isBrowser()) {
        throw unavailable(name, "@tensorflow/tfjs-node runs only in Node; in a browser use 'webgpu', 'webgl' or 'wasm'");
      }
      try {
        await import(/* @vite-ignore */ TFJS_NODE_SPECIFIER);
      } catch (err) {
        throw unavailable(
          name,
          'it needs @tensorflow/tfjs-node (native TensorFlow), an optional peer dependency that could not be loaded: ' +
            `run \`npm install @tensorflow/tfjs-node\` (prebuilt for linux/mac/windows x64). Cause: ${message(err)}`,
          err,
        );
      }
      break;
    }
  }
  loaded.set(name, info);
}

/** Threads for a wasm backend that has not started: as asked, else the platform's default. */
async function requestedThreads(options: UseBackendOptions): Promise<number> {
  if (options.wasmThreads !== undefined) return parseThreadCount(options.wasmThreads, 'wasmThreads');
  if (isNode() && !isBrowser()) return (await loadNodeSupport()).defaultThreads();
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  // Browsers give wasm threads (SharedArrayBuffer) only to cross-origin isolated pages.
  return g.crossOriginIsolated === true ? Math.max(1, g.navigator?.hardwareConcurrency ?? 1) : 1;
}

function checkThreadsUnchanged(options: UseBackendOptions, started: number | undefined): void {
  if (options.wasmThreads === undefined || started === undefined) return;
  if (parseThreadCount(options.wasmThreads, 'wasmThreads') === started) return;
  throw unavailable(
    'wasm',
    `it already runs with ${started} thread(s) in this process, and the count is fixed when it first starts: ` +
      'ask for the threads in the first useBackend call (or set YONOS_THREADS before starting)',
  );
}

/**
 * Run the wasm backend's factory so that its native pool gets `threads` threads: it caps the
 * pool at half the logical cores it sees, so the cores are shown as `2 * threads` meanwhile.
 */
async function withLogicalCores<T>(threads: number, start: () => Promise<T>): Promise<T> {
  if (isNode() && !isBrowser()) return (await loadNodeSupport()).withLogicalCores(threads, start);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav === undefined) return start();
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    return await start();
  } finally {
    if (own !== undefined) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

async function importOrExplain<T>(name: BackendName, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw unavailable(name, `its package could not be loaded (is it installed?): ${message(err)}`, err);
  }
}

interface WebGLLike {
  getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number; UNMASKED_VENDOR_WEBGL: number } | null;
  getParameter(p: number): unknown;
  readonly RENDERER: number;
  readonly VENDOR: number;
}

/** The WebGL renderer (e.g. "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))"), to tell a software one. */
function probeWebGLRenderer(): GpuAdapterDescription | undefined {
  try {
    const g = globalThis as { document?: { createElement(tag: string): { getContext(kind: string): unknown } }; OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): unknown } };
    const canvas = g.OffscreenCanvas !== undefined ? new g.OffscreenCanvas(1, 1) : g.document?.createElement('canvas');
    const gl = (canvas?.getContext('webgl2') ?? canvas?.getContext('webgl')) as WebGLLike | null | undefined;
    if (gl === null || gl === undefined) return undefined;
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(debug !== null ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    const vendor = String(gl.getParameter(debug !== null ? debug.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
    return { vendor, architecture: '', device: '', description: renderer };
  } catch {
    return undefined;
  }
}

/** Ask for a WebGPU adapter up front, so that "no GPU" is reported plainly rather than as a tfjs warning. */
async function probeWebGPUAdapter(): Promise<GpuAdapterDescription> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (gpu === undefined) {
    throw unavailable('webgpu', 'this environment has no WebGPU (navigator.gpu); use a browser with WebGPU enabled');
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    throw unavailable('webgpu', `requesting a WebGPU adapter failed: ${message(err)}`, err);
  }
  if (adapter === null) {
    const hint = isNode()
      ? ' (Dawn needs a Vulkan driver: install mesa-vulkan-drivers, or chromium for SwiftShader, or set VK_ICD_FILENAMES)'
      : '';
    throw unavailable('webgpu', `no WebGPU adapter was found${hint}`);
  }
  let raw: Partial<GpuAdapterDescription> = adapter.info ?? {};
  if (adapter.info === undefined && adapter.requestAdapterInfo !== undefined) {
    raw = await adapter.requestAdapterInfo().catch(() => ({}));
  }
  return {
    vendor: raw.vendor ?? '',
    architecture: raw.architecture ?? '',
    device: raw.device ?? '',
    description: raw.description ?? '',
  };
}

/**
 * Create the backend instance if tfjs has not yet, capturing why it fails (tfjs itself only
 * logs a warning). The instance is then handed to tfjs through its registry, so
 * `tf.setBackend` does not build a second one.
 * @throws BackendUnavailableError with the initialization error.
 */
export async function initializeBackend(name: BackendName): Promise<void> {
  const engine = tf.engine();
  if (engine.registry[name] !== undefined) return;
  const entry = engine.registryFactory[name];
  if (entry === undefined) throw unavailable(name, 'its package loaded but registered no tfjs backend of that name');
  let instance: tf.KernelBackend;
  const threads = name === 'wasm' ? loaded.get('wasm')?.threads : undefined;
  try {
    instance = await (threads !== undefined ? withLogicalCores(threads, async () => entry.factory()) : entry.factory());
  } catch (err) {
    throw unavailable(name, `tfjs could not initialize it: ${message(err)}`, err);
  }
  if (instance === undefined || instance === null) throw unavailable(name, 'its tfjs factory returned no backend');
  engine.removeBackend(name);
  tf.registerBackend(name, () => instance, entry.priority);
}
