/** Every tfjs backend YONOS knows how to start. `'tensorflow'` is `@tensorflow/tfjs-node` (native TensorFlow). */
export type BackendName = 'cpu' | 'wasm' | 'webgpu' | 'webgl' | 'tensorflow';

/** All {@link BackendName}s, in the order {@link listBackends} reports them. */
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'webgpu', 'webgl', 'tensorflow'];

/** Where the code runs, as far as backend selection cares. */
export type Platform = 'node' | 'browser' | 'other';

/** The GPU behind the `webgpu` backend, as the adapter reports it (fields may be empty strings). */
export interface GpuAdapterDescription {
  /** GPU vendor, e.g. `'nvidia'`, `'apple'` or `'google'` (SwiftShader). */
  readonly vendor: string;
  /** Vendor-specific GPU family, e.g. `'ampere'` or `'swiftshader'`. */
  readonly architecture: string;
  /** Vendor-specific device identifier (often a PCI id). */
  readonly device: string;
  /** Human-readable adapter name, e.g. the driver's product string. */
  readonly description: string;
}

/** What {@link useBackend} and {@link getBackendInfo} report about the active backend. */
export interface BackendInfo {
  /** The active backend. */
  readonly name: BackendName;
  /** Where the code runs. */
  readonly platform: Platform;
  /** Kernels YONOS registered for this backend so it can train (see {@link registerTrainingKernels}). */
  readonly polyfilledKernels: readonly string[];
  /** For `webgpu` (and `webgl`, its renderer string as `description`): the adapter, when the browser or Dawn tells. */
  readonly adapter?: GpuAdapterDescription;
  /**
   * For `webgpu` / `webgl`: the software rasterizer they run on (`'SwiftShader'`, `'llvmpipe'`, ...)
   * when there is no usable GPU; they then compute on the CPU, far slower than `wasm`.
   */
  readonly softwareAdapter?: string;
  /** For `wasm`: the SIMD and thread configuration it runs with. */
  readonly wasm?: {
    /** Whether the runtime supports wasm SIMD, so the SIMD build of the binary runs. */
    readonly simd: boolean;
    /** Threads the wasm backend computes with (1 where wasm threads are unavailable, e.g. a page that is not cross-origin isolated). */
    readonly threads: number;
  };
}

/** Whether one backend can be initialized here, and if not, why and what to do. */
export interface BackendStatus {
  /** The backend this status is about. */
  readonly name: BackendName;
  /** Whether {@link useBackend} can start it here. */
  readonly available: boolean;
  /** Set when `available` is false: the reason, with the remedy when there is one. */
  readonly reason?: string;
  /** `wasm`, when available: the threads it computes with in this process. */
  readonly threads?: number;
  /** `webgpu` / `webgl`, when available: the software rasterizer they would run on (see {@link BackendInfo.softwareAdapter}). */
  readonly softwareAdapter?: string;
}

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /**
   * `wasm` only: where the `.wasm` binaries are served from (browser bundles), passed to
   * `setWasmPaths` of `@tensorflow/tfjs-backend-wasm`: a URL prefix ending in `/`, or a
   * map from file name to URL. Node finds them in `node_modules` without this.
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
  /**
   * `wasm` only: threads for XNNPACK's pool (1 = the single-threaded build). Default in Node:
   * the `YONOS_THREADS` environment variable, else every core (`os.availableParallelism()`);
   * in a browser: `navigator.hardwareConcurrency` when the page is cross-origin isolated
   * (COOP/COEP headers), else 1. Fixed for the process once the backend has started: a later
   * call that asks for a different count fails. Results are the same for every count.
   */
  readonly wasmThreads?: number;
  /** `webgpu` in Node only: toggles passed to Dawn's `create()` (for example `'adapter=SwiftShader'`). */
  readonly dawnOptions?: readonly string[];
}
