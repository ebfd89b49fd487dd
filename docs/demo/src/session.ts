import { BackendUnavailableError, disposeModelImage, fromImageData, toImageData } from '@yonos/core';
import type { BackendName, ImageDataLike, ModelImage, ProgressCallback } from '@yonos/core';
import type { YonosPipeline, YonosRunOptions } from '@yonos/sampler';
import { backendCandidates, isBackendFailure, startBackend } from './backend.js';
import type { BackendChoice } from './backend.js';
import { DemoError } from './errors.js';
import { loadPipeline } from './model.js';
import type { ModelInfo } from './model.js';

/**
 * Tiling budget of the demo's runs: browsers give a page far less memory than Node, so
 * images are tiled earlier than the pipeline's 1024 MiB default.
 */
export const DEMO_TILE = { memoryBudgetMB: 512 } as const;

/** Largest input the page accepts, in pixels (the output has `scale^2` times as many). */
export const MAX_INPUT_PIXELS = 1024 * 1024;

/** One upscaling request from the page. */
export interface UpscaleRequest {
  /** 8-bit RGBA input, straight alpha. */
  readonly image: ImageDataLike;
  /** Upscaling factor; the output is `ceil(side * scale)`. */
  readonly scale: number;
  /** Seed of the initial noise: the same seed gives the same output on every backend. */
  readonly seed: number;
  /** DDIM steps (the model is trained for 1). */
  readonly steps: number;
  readonly backend: BackendChoice;
  readonly onProgress?: ProgressCallback;
  /** Status lines for the page ("Starting WebGPU...", "Loading the model..."). */
  readonly onStatus?: (message: string) => void;
  readonly signal?: AbortSignal;
}

/** What a finished run gives back. */
export interface UpscaleResult {
  /** 8-bit RGBA output, `ceil(scale * side)` per side. */
  readonly output: ImageData;
  /** The backend that ran it. */
  readonly backend: BackendName;
  /** Milliseconds of the run itself (backend start and model load excluded). */
  readonly runMs: number;
}

/** The pipeline options of a run: the same in the page and in a Node run that should match it. */
export function runOptions(request: Pick<UpscaleRequest, 'scale' | 'seed' | 'steps' | 'onProgress' | 'signal'>): YonosRunOptions {
  return {
    scale: request.scale,
    seed: request.seed,
    steps: request.steps,
    tile: DEMO_TILE,
    ...(request.onProgress !== undefined ? { onProgress: request.onProgress } : {}),
    ...(request.signal !== undefined ? { signal: request.signal } : {}),
  };
}

/**
 * Owns the active backend and the loaded pipeline of the page. A run on another backend
 * disposes the pipeline and loads it again there (tensors belong to one backend). With
 * `'auto'`, a backend that cannot start, or fails inside tfjs, is skipped for the next one.
 */
export class DemoSession {
  readonly #model: ModelInfo;
  readonly #wasmBase: URL;
  #backend: BackendName | undefined;
  #pipeline: YonosPipeline | undefined;

  /**
   * @param model The probed model folder.
   * @param wasmBase URL of the folder with the tfjs wasm binaries, ending in `/`.
   */
  constructor(model: ModelInfo, wasmBase: URL) {
    this.#model = model;
    this.#wasmBase = wasmBase;
  }

  /** The backend the pipeline is loaded on, if any. */
  get backend(): BackendName | undefined {
    return this.#backend;
  }

  /**
   * Upscales one image. Every tensor made on the way is freed, also on errors and aborts.
   * @throws DemoError for an input that is too large, or when no backend can run it;
   *   `PipelineAbortedError` when `signal` aborts; the pipeline's errors otherwise.
   */
  async upscale(request: UpscaleRequest): Promise<UpscaleResult> {
    const { width, height } = request.image;
    if (width * height > MAX_INPUT_PIXELS) {
      throw new DemoError(
        `The image is ${width}x${height}; the demo takes up to ${MAX_INPUT_PIXELS} pixels (1024x1024). Crop or shrink it first.`,
      );
    }
    const failures: string[] = [];
    for (const name of backendCandidates(request.backend)) {
      try {
        await this.#prepare(name, request.onStatus, request.backend === 'auto');
        request.onStatus?.(`Upscaling on ${name}...`);
        const start = performance.now();
        const output = await this.#run(request);
        return { output, backend: name, runMs: performance.now() - start };
      } catch (error) {
        if (request.backend !== 'auto' || !isBackendFailure(error)) throw error;
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        request.onStatus?.(`${name} failed; trying the next backend...`);
        this.#unload();
      }
    }
    throw new DemoError(`No backend could run the model in this browser. ${failures.join(' | ')}`);
  }

  /** Frees the pipeline. */
  dispose(): void {
    this.#unload();
  }

  async #prepare(name: BackendName, onStatus: ((message: string) => void) | undefined, skipSoftware: boolean): Promise<void> {
    if (this.#backend === name && this.#pipeline !== undefined) return;
    this.#unload();
    onStatus?.(`Starting ${name}...`);
    const info = await startBackend(name, this.#wasmBase);
    if (skipSoftware && info.softwareAdapter !== undefined) {
      // A GPU backend on SwiftShader or llvmpipe computes on the CPU, far slower than wasm.
      throw new BackendUnavailableError(name, `it runs on a software rasterizer (${info.softwareAdapter}), not a GPU`);
    }
    onStatus?.('Loading the model...');
    this.#pipeline = await loadPipeline(this.#model);
    this.#backend = name;
  }

  async #run(request: UpscaleRequest): Promise<ImageData> {
    const pipeline = this.#pipeline;
    if (pipeline === undefined) throw new DemoError('The model is not loaded: reload the page.');
    const input = fromImageData(request.image);
    let output: ModelImage | undefined;
    try {
      output = await pipeline.upscale(input, runOptions(request));
      return await toImageData(output);
    } finally {
      disposeModelImage(input);
      if (output !== undefined) disposeModelImage(output);
    }
  }

  #unload(): void {
    this.#pipeline?.dispose();
    this.#pipeline = undefined;
    this.#backend = undefined;
  }
}
