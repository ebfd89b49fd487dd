import { YonosError } from '@yonos/core';
import type { ModelLocation } from '@yonos/core';
import { DEFAULT_MODEL_SCALE, checkScale } from './scale.js';

/**
 * Supplies "the default model": the pipeline folders `YonosPipeline.fromPretrained()` loads when
 * it is given no location. The `yonos` package registers one for the model it bundles (one
 * folder per scale, `model/x4/`, `model/x8/`); register your own to make another model the
 * default (for example a set of URLs in a browser app).
 */
export interface DefaultModelProvider {
  /**
   * What the provider is and where its folders are, for error messages, e.g.
   * `'the model bundled with yonos, in /…/node_modules/yonos/model'`.
   */
  readonly description: string;
  /** The scale used when the caller asks for none. Default {@link DEFAULT_MODEL_SCALE} (4). */
  readonly defaultScale?: number;
  /**
   * The pipeline folder (a `YonosPipeline` folder: `model_index.json`, `unet/`, `vae/`,
   * `scheduler/`) of the model for upscaling by `scale`, or `undefined` when the provider
   * has none for that scale.
   */
  locate(scale: number): ModelLocation | undefined | Promise<ModelLocation | undefined>;
  /** The scales the provider has a model for, ascending (named in errors when a scale is missing). */
  scales(): readonly number[] | Promise<readonly number[]>;
}

/** The default model could not be resolved. Catch this for both cases below. */
export class DefaultModelError extends YonosError {}

/** `YonosPipeline.fromPretrained()` was called without a location, and no {@link DefaultModelProvider} is registered. */
export class NoDefaultModelError extends DefaultModelError {
  constructor() {
    super(
      "No default model is registered, so YonosPipeline.fromPretrained() needs a location: import 'yonos' (which bundles one " +
        'and registers it), call registerDefaultModel(provider), or pass the location of a YonosPipeline folder.',
    );
  }
}

/** The registered default model has no pipeline for the requested scale. */
export class ScaleNotBundledError extends DefaultModelError {
  /** The scale that was asked for. */
  readonly scale: number;
  /** The scales the provider does have, ascending (empty when it has none at all). */
  readonly available: readonly number[];

  constructor(scale: number, available: readonly number[], description: string) {
    const instead = `the location of a YonosPipeline folder trained for x${scale}`;
    const have =
      available.length === 0
        ? `none is installed. Pass ${instead}.`
        : `bundled scales are ${available.map((s) => `x${s}`).join(', ')}. ` +
          `Pass ${available.map((s) => `{ scale: ${s} }`).join(' or ')}, or ${instead}.`;
    super(`No bundled model for x${scale} (${description}): ${have}`);
    this.scale = scale;
    this.available = [...available];
  }
}

/** Where {@link resolveDefaultModel} found the default model. */
export interface DefaultModelLocation {
  /** The pipeline folder to load. */
  readonly location: ModelLocation;
  /** The scale it was chosen for (the requested one, or the provider's default). */
  readonly scale: number;
}

let provider: DefaultModelProvider | undefined;

/**
 * Makes `provider` the default model of `YonosPipeline.fromPretrained()` (called without a
 * location). A later registration replaces the earlier one; `undefined` removes it.
 * @returns The provider registered before (to restore it later).
 * @example
 * ```ts
 * registerDefaultModel({
 *   description: 'my models on https://example.com/models',
 *   locate: (scale) => (scale === 4 ? 'https://example.com/models/x4/' : undefined),
 *   scales: () => [4],
 * });
 * const pipe = await YonosPipeline.fromPretrained(); // loads https://example.com/models/x4/
 * ```
 */
export function registerDefaultModel(next: DefaultModelProvider | undefined): DefaultModelProvider | undefined {
  const previous = provider;
  provider = next;
  return previous;
}

/** The registered {@link DefaultModelProvider}, or `undefined` (nothing registered: import `yonos` for its bundled model). */
export function defaultModelProvider(): DefaultModelProvider | undefined {
  return provider;
}

/**
 * Asks the registered provider for the pipeline folder of `scale` (default: the provider's
 * `defaultScale`, else 4). No weights are read.
 * @throws {@link NoDefaultModelError} when no provider is registered.
 * @throws {@link ScaleNotBundledError} when the provider has no model for that scale (the message lists those it has).
 * @throws PipelineInputError when the scale is not a positive number.
 */
export async function resolveDefaultModel(scale?: number): Promise<DefaultModelLocation> {
  const current = provider;
  if (current === undefined) throw new NoDefaultModelError();
  const wanted = checkScale(scale ?? current.defaultScale ?? DEFAULT_MODEL_SCALE);
  const location = await current.locate(wanted);
  if (location === undefined) {
    const available = [...(await current.scales())].sort((a, b) => a - b);
    throw new ScaleNotBundledError(wanted, available, current.description);
  }
  return { location, scale: wanted };
}
