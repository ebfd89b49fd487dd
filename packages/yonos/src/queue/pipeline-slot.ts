import type { BackendInfo, BackendName } from '@yonos/core';
import { YonosPipeline } from '@yonos/sampler';
import '../model-classes.js';

/** The one pipeline a worker process keeps loaded, for the last backend and model folder asked for. */
export class PipelineSlot {
  readonly #activate: (backend: BackendName | undefined) => Promise<BackendInfo>;
  #key: string | undefined;
  #loaded: { readonly pipeline: YonosPipeline; readonly backend: string } | undefined;

  /** @param activate Starts a backend (`undefined`: the default one) and says which it is. */
  constructor(activate: (backend: BackendName | undefined) => Promise<BackendInfo>) {
    this.#activate = activate;
  }

  /**
   * The pipeline of `modelDir` on `backend`: the one loaded already when both match, else the
   * old one is freed, the backend started and the folder loaded. Callers use one at a time.
   */
  async get(backend: BackendName | undefined, modelDir: string): Promise<{ readonly pipeline: YonosPipeline; readonly backend: string }> {
    const key = `${backend ?? ''}\n${modelDir}`;
    if (this.#loaded !== undefined && this.#key === key) return this.#loaded;
    this.dispose();
    const info = await this.#activate(backend);
    const pipeline = await YonosPipeline.fromPretrained(modelDir);
    this.#loaded = { pipeline, backend: info.name };
    this.#key = key;
    return this.#loaded;
  }

  /** Frees the loaded pipeline's weights. */
  dispose(): void {
    this.#loaded?.pipeline.dispose();
    this.#loaded = undefined;
    this.#key = undefined;
  }
}
