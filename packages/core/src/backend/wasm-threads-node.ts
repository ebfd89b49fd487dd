/**
 * Running the threaded build of `@tensorflow/tfjs-backend-wasm` (XNNPACK with a pthread pool)
 * in Node. tfjs 4.x ships it but keeps it off in Node for four reasons, each answered here:
 * - its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers false whenever `IS_NODE`: set explicitly;
 * - Emscripten starts each pthread with `new Worker(url)`, and tfjs hands it `blob:` URLs
 *   (worker script, main script) that `worker_threads` cannot load: a `Worker` class that
 *   runs the worker script as source and points it at the main script's file instead;
 * - the native side caps the pool at half the logical cores: the core count is shown as
 *   twice the requested threads while the backend starts;
 * - pool threads are referenced while they run, and XNNPACK's never stop, so Node would
 *   never exit: they are never referenced once loaded.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker as NodeWorker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors.js';

const require = createRequire(import.meta.url);
const MAIN_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

interface PthreadLoadMessage {
  readonly cmd?: unknown;
  readonly urlOrBlob?: unknown;
}

let installed = false;

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
 * Let the threaded wasm build run in this Node process: installs the pthread `Worker` and
 * turns tfjs's multithreading flag on. Call before the wasm backend first initializes;
 * idempotent. `useBackend('wasm')` calls it when more than one thread is asked for.
 * @throws BackendUnavailableError when the runtime lacks SharedArrayBuffer or the threaded build's files are missing.
 */
export function enableNodeWasmThreads(): void {
  if (installed) return;
  if (typeof SharedArrayBuffer !== 'function') {
    throw new BackendUnavailableError('wasm', 'threads need SharedArrayBuffer, which this runtime does not provide; use 1 thread');
  }
  let mainScriptPath: string;
  let workerSource: string;
  try {
    mainScriptPath = require.resolve(MAIN_SCRIPT);
    workerSource = (require(WORKER_SCRIPT) as { wasmWorkerContents: string }).wasmWorkerContents;
  } catch (err) {
    throw new BackendUnavailableError(
      'wasm',
      `the threaded build of @tensorflow/tfjs-backend-wasm could not be found (${(err as Error).message}); reinstall it, or use 1 thread`,
      { cause: err },
    );
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
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  installed = true;
}

/**
 * Run `start` (the wasm backend's factory) while the process appears to have `2 * threads`
 * logical cores, so that the native pool, capped at half the cores, gets `threads` threads.
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
