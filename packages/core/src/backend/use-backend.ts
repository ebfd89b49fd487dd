import * as tf from '@tensorflow/tfjs-core';
import { currentPlatform } from './environment.js';
import { BackendUnavailableError, UnknownBackendError } from './errors.js';
import { registerGradients } from './gradients.js';
import { polyfilledKernels, registerTrainingKernels } from './kernels/training-kernels.js';
import { initializeBackend, loadBackendPackage, loadedBackend } from './loaders.js';
import { softwareAdapterName } from './software-adapter.js';
import { BACKEND_NAMES } from './types.js';
import type { BackendInfo, BackendName, BackendStatus, UseBackendOptions } from './types.js';

// Backend switches touch tfjs's global engine; running two at once could interleave them.
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

function assertKnown(name: string): asserts name is BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new UnknownBackendError(name, BACKEND_NAMES);
}

/** The order tried when {@link useBackend} gets no name: fastest first for the platform, cpu last. */
export function defaultBackendOrder(): readonly BackendName[] {
  return currentPlatform() === 'browser' ? ['webgpu', 'webgl', 'wasm', 'cpu'] : ['wasm', 'cpu'];
}

async function prepare(name: BackendName, options: UseBackendOptions): Promise<void> {
  await loadBackendPackage(name, options);
  await initializeBackend(name);
  registerTrainingKernels(name);
}

async function activate(name: BackendName, options: UseBackendOptions): Promise<BackendInfo> {
  await prepare(name, options);
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new BackendUnavailableError(name, `tf.setBackend('${name}') did not make it the active backend`);
  }
  return describeActiveBackend();
}

/**
 * Make a tfjs backend active and ready to train: imports its package (setting up Dawn first
 * for `webgpu` in Node), registers tfjs-core's gradients and the kernels the backend lacks
 * for training (see {@link registerTrainingKernels}), then `tf.setBackend` and checks it took.
 *
 * Without a name: `wasm` in Node; in a browser `webgpu`, then `webgl`, then `wasm`, the
 * first that initializes (`cpu` as the last resort everywhere).
 *
 * `webgpu` in Node runs on Dawn (the `webgpu` npm package; SwiftShader when no GPU driver is
 * installed). It has no synchronous reads there (tfjs needs an OffscreenCanvas for them):
 * read tensors with `await t.data()` / `await t.array()`, never `dataSync()`.
 *
 * @param name The backend; `'tensorflow'` is `@tensorflow/tfjs-node`, which you install yourself.
 * @param options wasm binary location / threads, Dawn toggles.
 * @returns The active backend's name, platform, polyfilled kernels, GPU adapter (webgpu) or wasm setup.
 * @throws BackendUnavailableError when the backend cannot run here (the message says why and what to do).
 * @throws UnknownBackendError for a name that is not a {@link BackendName}.
 * @throws GradientRegistrationError when tfjs-core's gradients cannot be loaded (see {@link registerGradients}).
 */
export function useBackend(name?: BackendName, options: UseBackendOptions = {}): Promise<BackendInfo> {
  return serialized(async () => {
    if (name !== undefined) assertKnown(name);
    await registerGradients();
    if (name !== undefined) return activate(name, options);
    const reasons: string[] = [];
    for (const candidate of defaultBackendOrder()) {
      try {
        if (candidate === 'webgpu' || candidate === 'webgl') {
          await prepare(candidate, options);
          const software = softwareAdapterName(loadedBackend(candidate)?.adapter);
          if (software !== undefined) {
            reasons.push(`${candidate}: skipped, it runs on a software rasterizer (${software}), far slower than wasm`);
            continue;
          }
        }
        return await activate(candidate, options);
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        reasons.push(`${candidate}: ${err.reason}`);
      }
    }
    throw new BackendUnavailableError('default', `no backend could be initialized here. ${reasons.join('; ')}`);
  });
}

/**
 * For every {@link BackendName}: whether it can be initialized here and, if not, why and what
 * to do. Initializes each available backend (so a later {@link useBackend} is immediate) but
 * leaves the active backend as it was.
 */
export function listBackends(options: UseBackendOptions = {}): Promise<BackendStatus[]> {
  return serialized(async () => {
    const statuses: BackendStatus[] = [];
    for (const name of BACKEND_NAMES) {
      try {
        await prepare(name, options);
        const wasm = name === 'wasm' ? loadedBackend('wasm')?.wasm : undefined;
        const software = softwareAdapterName(loadedBackend(name)?.adapter);
        statuses.push({
          name,
          available: true,
          ...(wasm !== undefined ? { threads: wasm.getThreadsCount() } : {}),
          ...(software !== undefined ? { softwareAdapter: software } : {}),
        });
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        statuses.push({ name, available: false, reason: err.reason });
      }
    }
    return statuses;
  });
}

/** The names of the backends that can be initialized here, in {@link BACKEND_NAMES} order. */
export async function availableBackends(options: UseBackendOptions = {}): Promise<BackendName[]> {
  return (await listBackends(options)).filter((s) => s.available).map((s) => s.name);
}

function wasmSimd(): boolean {
  try {
    // Evaluated (asynchronously) by the wasm backend's own initialization, so cached by now.
    return tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  } catch {
    return false;
  }
}

function describeActiveBackend(): BackendInfo {
  const name = tf.engine().backendName;
  if (name === null || name === undefined || tf.engine().registry[name] === undefined) {
    throw new BackendUnavailableError('active', 'no backend is active yet; call `await useBackend()` first');
  }
  const known = (BACKEND_NAMES as readonly string[]).includes(name);
  const loaded = known ? loadedBackend(name as BackendName) : undefined;
  const wasm = name === 'wasm' && loaded?.wasm !== undefined
    ? { simd: wasmSimd(), threads: loaded.wasm.getThreadsCount() }
    : undefined;
  const software = name === 'webgpu' || name === 'webgl' ? softwareAdapterName(loaded?.adapter) : undefined;
  return {
    name: name as BackendName,
    platform: currentPlatform(),
    polyfilledKernels: polyfilledKernels(name),
    ...((name === 'webgpu' || name === 'webgl') && loaded?.adapter !== undefined ? { adapter: loaded.adapter } : {}),
    ...(software !== undefined ? { softwareAdapter: software } : {}),
    ...(wasm !== undefined ? { wasm } : {}),
  };
}

/**
 * Describe the active backend (as {@link useBackend} returned it).
 * @throws BackendUnavailableError when no backend is active yet.
 */
export function getBackendInfo(): BackendInfo {
  return describeActiveBackend();
}
