import { BackendUnavailableError, YonosError, useBackend } from '@yonos/core';
import type { BackendInfo, BackendName } from '@yonos/core';

/** What the backend menu offers: one backend, or `'auto'` (the first of {@link AUTO_ORDER} that works). */
export type BackendChoice = 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The menu entries, in the order shown. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** Fastest first: WebGPU, then WebGL, then wasm. (cpu is only there to be picked by hand: it is ~100x slower.) */
export const AUTO_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm'];

/** The backends to try, in order, for a menu choice. */
export function backendCandidates(choice: BackendChoice): readonly BackendName[] {
  return choice === 'auto' ? AUTO_ORDER : [choice];
}

/**
 * Whether a failure on one backend is worth retrying on the next: the backend could not start
 * (`BackendUnavailableError`), or it failed inside tfjs (a plain `Error`, e.g. a shader that
 * does not compile or a lost GPU device). YONOS's other errors (bad input, a bad model
 * folder, an abort) would fail the same way everywhere.
 */
export function isBackendFailure(error: unknown): boolean {
  return error instanceof BackendUnavailableError || !(error instanceof YonosError);
}

/**
 * Makes `name` the active tfjs backend, with the wasm binaries served by this site.
 * @param wasmBase URL of the folder holding `tfjs-backend-wasm*.wasm`, ending in `/`.
 * @throws BackendUnavailableError when the backend cannot run in this browser.
 */
export function startBackend(name: BackendName, wasmBase: URL): Promise<BackendInfo> {
  return useBackend(name, { wasmPaths: wasmBase.href });
}
