/**
 * `@yonos/core/wasm-threads`: running the threaded build of `@tensorflow/tfjs-backend-wasm`
 * (XNNPACK with a pthread pool) in Node, for any tfjs 4.x copy. tfjs ships the build but keeps
 * it off in Node for four reasons, each answered here:
 * - its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers false whenever `IS_NODE`: set explicitly;
 * - Emscripten starts each pthread with `new Worker(url)`, and tfjs hands it `blob:` URLs
 *   (worker script, main script) that `worker_threads` cannot load: a `Worker` class that
 *   runs the worker script as source and points it at the main script's file instead;
 * - the native side caps the pool at half the logical cores: the core count is shown as
 *   twice the requested threads while the backend starts;
 * - pool threads are referenced while they run, and XNNPACK's never stop, so Node would
 *   never exit: they are never referenced once loaded.
 *
 * This module imports nothing from tfjs: the caller hands in the tfjs copy it runs (its
 * `require` and `tf.env()`), so that a process on another tfjs than YONOS's (the ESRGAN
 * baseline harness in `bench-baselines/`, on tfjs 4.11) starts its threads the same way
 * without loading YONOS's tfjs next to its own. `useBackend('wasm')` does all of this itself.
 * @module \@yonos/core/wasm-threads
 */
import os from 'node:os';
import { Worker as NodeWorker } from 'node:worker_threads';
import { BackendUnavailableError } from './errors.js';

const MAIN_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

/** The tfjs copy whose wasm backend is to run threaded (see {@link installNodeWasmThreads}). */
export interface WasmThreadsHost {
  /**
   * A `require` that finds that copy's `@tensorflow/tfjs-backend-wasm`: `createRequire(import.meta.url)`
   * in the module that imports it. The pthreads load the threaded build's files from there, so
   * they run the same code as the main thread.
   */
  readonly require: NodeJS.Require;
  /** That copy's `tf.env()`: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is turned on. */
  readonly env: {
    /** Sets one of that copy's environment flags (`tf.env().set`). */
    set(flag: string, value: boolean): void;
  };
}

interface PthreadLoadMessage {
  readonly cmd?: unknown;
  readonly urlOrBlob?: unknown;
}

/** The threaded build's main script the installed `Worker` loads, once installed. */
let installedMainScript: string | undefined;

function pthreadWorkerClass(mainScriptPath: string, workerSource: string): typeof NodeWorker {
  return class PthreadWorker extends NodeWorker {
    constructor() {
      super(workerSource, { eval: true });
    }

    override postMessage(message: unknown, transferList?: Parameters<NodeWorker['postMessage']>[1]): void {
      const load = message as PthreadLoadMessage | null;
      const patched = load !== null && typeof load === 'object' && load.cmd === 'load' ? { ...load, urlOrBlob: mainScriptPath } : message;
      super.postMessage(patched, transferList);
    }

    // Emscripten references a worker while its pthread runs; XNNPACK's pool threads run for
    // the life of the process, so referencing them would keep Node from ever exiting. Until it
    // has loaded a worker is referenced (as every new Worker is), so start-up still completes.
    override ref(): void {}
  };
}

/**
 * Let the threaded wasm build of `host`'s tfjs run in this Node process: installs the pthread
 * `Worker` (as a global, where Emscripten looks for it) and turns `host.env`'s multithreading
 * flag on. Call before that wasm backend first initializes, after `setThreadsCount(n)`, and
 * start it inside {@link withNodeLogicalCores}. Idempotent for one tfjs copy.
 * @param host The tfjs copy: how to find its wasm backend's files, and its environment.
 * @throws BackendUnavailableError when the runtime lacks SharedArrayBuffer, the threaded build's
 *   files are missing, or another copy of `@tensorflow/tfjs-backend-wasm` already runs threaded here.
 */
export function installNodeWasmThreads(host: WasmThreadsHost): void {
  if (typeof SharedArrayBuffer !== 'function') {
    throw new BackendUnavailableError('wasm', 'threads need SharedArrayBuffer, which this runtime does not provide; use 1 thread');
  }
  let mainScriptPath: string;
  try {
    mainScriptPath = host.require.resolve(MAIN_SCRIPT);
  } catch (err) {
    throw missingBuild(err);
  }
  if (installedMainScript !== undefined) {
    // One global Worker serves the process, and it loads one copy's files into every pthread.
    if (installedMainScript !== mainScriptPath) {
      throw new BackendUnavailableError(
        'wasm',
        `another copy of @tensorflow/tfjs-backend-wasm (${installedMainScript}) already runs threaded in this process; ` +
          `run ${mainScriptPath} in a process of its own, or use 1 thread`,
      );
    }
    host.env.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    return;
  }
  let workerSource: string;
  try {
    workerSource = (host.require(WORKER_SCRIPT) as { wasmWorkerContents: string }).wasmWorkerContents;
  } catch (err) {
    throw missingBuild(err);
  }
  // The source is a template literal in which tfjs wrote "\n" escapes as real newlines
  // (tfjs escapes them back before making its blob); a newline inside a string literal is a
  // syntax error, so do the same.
  const PthreadWorker = pthreadWorkerClass(mainScriptPath, workerSource.replace(/\n/g, '\\n'));
  // Emscripten assigns `global.Worker = worker_threads.Worker` each time its factory runs;
  // an accessor keeps ours in place.
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => PthreadWorker,
    set: () => undefined,
  });
  host.env.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  installedMainScript = mainScriptPath;
}

function missingBuild(err: unknown): BackendUnavailableError {
  return new BackendUnavailableError(
    'wasm',
    `the threaded build of @tensorflow/tfjs-backend-wasm could not be found (${(err as Error).message}); reinstall it, or use 1 thread`,
    { cause: err },
  );
}

/**
 * Run `start` (what initializes the wasm backend: `tf.setBackend('wasm')`, or its factory)
 * while the process appears to have `2 * threads` logical cores, so that the native pool,
 * capped at half the cores, gets `threads` threads.
 * @param threads The threads asked for (with `setThreadsCount`).
 * @param start Starts the backend.
 * @returns What `start` returned.
 */
export async function withNodeLogicalCores<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  const one = cpus()[0];
  os.cpus = () => Array.from({ length: 2 * threads }, () => one as os.CpuInfo);
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}
