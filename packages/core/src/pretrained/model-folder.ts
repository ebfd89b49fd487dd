import { YonosError } from '../errors.js';
import { StateDictError } from '../nn/errors.js';
import type { Module } from '../nn/module.js';
import type { SafetensorsWriteOptions } from '../safetensors/encode.js';
import { ConfigMismatchError, PretrainedError, WeightDtypeError } from './errors.js';
import type { ConfigKeyConflict } from './errors.js';
import { openModelStore, openWritableModelStore } from './open-store.js';
import type { ModelLocation } from './open-store.js';
import { joinStorePath } from './store.js';
import { loadWeights } from './weights.js';

/** File name of a diffusers model config. */
export const CONFIG_NAME = 'config.json';
/** The diffusers version whose folder layout YONOS reads and writes. */
export const DIFFUSERS_VERSION = '0.25.0';

/** A model's config as it appears in `config.json`: diffusers' keys, JSON values. */
export type ModelConfig = Readonly<Record<string, unknown>>;

/** A model that can be saved in the diffusers layout: a {@link Module} with its config. */
export type PretrainedModel = Module & {
  /** The model's config with diffusers' keys: what {@link savePretrained} writes to `config.json`. */
  readonly config: ModelConfig;
};

/** What {@link loadPretrained} needs of a model class (`AutoencoderKL`, `UNet2DConditionModel`, ...). */
export interface PretrainedModelClass<M extends PretrainedModel> {
  /** diffusers' `_class_name`, checked against the folder's config. */
  readonly className: string;
  /** Builds the model (shape-only, no weights) from a config with diffusers' keys. */
  fromConfig(config: ModelConfig): M;
  /**
   * Optional: the config values a state dict's shapes imply (for example `in_channels` from
   * `conv_in.weight`, `block_out_channels` from each down block's first ResNet), read from PyTorch
   * shapes by parameter name. When weights do not fit a folder's `config.json`,
   * {@link loadPretrained} compares these with the config the model was built from and names
   * the keys that disagree. Keys it cannot tell are left out; it must not throw.
   */
  configFromWeights?(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig;
}

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /** A folder inside the location (for example `'unet'` in a pipeline folder). */
  readonly subfolder?: string;
  /** Weights variant: `'fp16'` reads `diffusion_pytorch_model.fp16.safetensors` (converted to float32). */
  readonly variant?: string;
  /** Reject missing and unexpected weights. Default `true`. */
  readonly strict?: boolean;
  /**
   * Load float parameters stored as integer or BOOL tensors by casting each value (see
   * `loadWeights`). Default `false`: they are refused with a
   * `WeightDtypeError` naming each tensor and its dtype.
   */
  readonly allowDtypeCast?: boolean;
}

/** Options of {@link savePretrained}. */
export interface SavePretrainedOptions {
  /** A folder inside the location. */
  readonly subfolder?: string;
  /** Weights variant name in the file name (`'fp16'` -> `diffusion_pytorch_model.fp16.safetensors`). */
  readonly variant?: string;
  /** Stored float type; default `'F32'` (`'F16'` when `variant` is `'fp16'`). */
  readonly dtype?: SafetensorsWriteOptions['dtype'];
}

/** The weights file name diffusers uses for a variant (`undefined` -> `diffusion_pytorch_model.safetensors`). */
export function weightsFileName(variant?: string): string {
  return variant === undefined || variant === '' ? 'diffusion_pytorch_model.safetensors' : `diffusion_pytorch_model.${variant}.safetensors`;
}

/** Reads and parses a folder's `config.json`. @throws PretrainedError if missing or not a JSON object. */
export async function readModelConfig(location: ModelLocation, subfolder?: string): Promise<ModelConfig> {
  const store = await openModelStore(location);
  const path = joinStorePath(subfolder, CONFIG_NAME);
  const text = await store.readText(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new PretrainedError(`${store.location}/${path} is not valid JSON: ${(cause as Error).message}.`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PretrainedError(`${store.location}/${path} must hold a JSON object of config keys.`);
  }
  return parsed as ModelConfig;
}

/**
 * Loads a model from a diffusers model folder (`config.json` +
 * `diffusion_pytorch_model[.variant].safetensors`): builds it from the config, then streams
 * the weights in. The equivalent of diffusers' `Model.from_pretrained(location)`. Keys the
 * config lacks take the class's defaults (diffusers 0.25's), as in diffusers.
 * @throws PretrainedError if a file is missing or the config names another class.
 * @throws the class's config error (e.g. `VaeConfigError`), its message prefixed with the config
 *   file, if `fromConfig` rejects the config.
 * @throws {@link ConfigMismatchError} (a `StateDictError`) if the weights do not match the model
 *   built from the config: it names the config file, the keys whose values disagree with the
 *   weights (when the class has `configFromWeights`) and the keys that took defaults.
 * @throws {@link WeightDtypeError} if a parameter is stored as an integer or BOOL tensor (unless
 *   `allowDtypeCast`) or in a dtype tfjs cannot hold.
 */
export async function loadPretrained<M extends PretrainedModel>(
  modelClass: PretrainedModelClass<M>,
  location: ModelLocation,
  options: LoadPretrainedOptions = {},
): Promise<M> {
  const store = await openModelStore(location);
  const config = await readModelConfig(store, options.subfolder);
  const declared = config['_class_name'];
  if (declared !== undefined && declared !== modelClass.className) {
    throw new PretrainedError(
      `${store.location}: config.json describes a ${String(declared)}, not a ${modelClass.className}; load it with ${String(declared)}.fromPretrained().`,
    );
  }
  const weightsPath = joinStorePath(options.subfolder, weightsFileName(options.variant));
  if (!(await store.exists(weightsPath))) {
    throw new PretrainedError(
      `${store.location} has no ${weightsPath}${options.variant !== undefined ? ` (variant '${options.variant}')` : ''}; only .safetensors weights are supported.`,
    );
  }
  const configFile = `${store.location}/${joinStorePath(options.subfolder, CONFIG_NAME)}`;
  let model: M;
  try {
    model = modelClass.fromConfig(config);
  } catch (error) {
    // The class's own config error (its type kept), said about the file it came from.
    if (error instanceof YonosError) error.message = `${configFile}: ${error.message}`;
    throw error;
  }
  const reader = await store.openSafetensors(weightsPath);
  try {
    await loadWeights(model, reader, { strict: options.strict ?? true, allowDtypeCast: options.allowDtypeCast === true });
  } catch (error) {
    model.dispose();
    const weightsFile = `${store.location}/${weightsPath}`;
    if (error instanceof WeightDtypeError) throw new WeightDtypeError(error.problems, weightsFile);
    if (error instanceof StateDictError) {
      const shapes = new Map(reader.keys().map((name) => [name, reader.info(name).shape] as const));
      throw new ConfigMismatchError(error, {
        configFile,
        weightsFile,
        ...explainConfig(modelClass, config, model.config, shapes),
      });
    }
    throw error;
  } finally {
    await reader.close();
  }
  return model;
}

/**
 * Whether the weights' value agrees with the config's: the same JSON value, or a single value
 * against a per-level list whose every entry is that value (`layers_per_block: 2` and `[2, 2, 2]`).
 */
function agrees(weights: unknown, config: unknown): boolean {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (same(weights, config)) return true;
  return !Array.isArray(weights) && Array.isArray(config) && config.length > 0 && config.every((v) => same(v, weights));
}

/**
 * The keys of `built` (the model's full config) that `file` lacks, and the keys whose values
 * the weights contradict, as far as the class's `configFromWeights` can tell.
 */
function explainConfig<M extends PretrainedModel>(
  modelClass: PretrainedModelClass<M>,
  file: ModelConfig,
  built: ModelConfig,
  shapes: ReadonlyMap<string, readonly number[]>,
): { defaulted: Map<string, unknown>; conflicts: ConfigKeyConflict[] } {
  const defaulted = new Map<string, unknown>();
  for (const key of Object.keys(built).sort()) {
    if (!key.startsWith('_') && !(key in file)) defaulted.set(key, built[key]);
  }
  let implied: ModelConfig = {};
  try {
    implied = modelClass.configFromWeights?.(shapes) ?? {};
  } catch {
    // The explanation is a courtesy: the state-dict error below says what is wrong regardless.
  }
  const conflicts: ConfigKeyConflict[] = [];
  for (const [key, weights] of Object.entries(implied)) {
    if (weights === undefined || agrees(weights, built[key])) continue;
    conflicts.push({ key, config: built[key], weights, defaulted: !(key in file) });
  }
  return { defaulted, conflicts };
}

/**
 * Saves a model as diffusers does (the class name is the model class's static `className`): `config.json` (`_class_name`, `_diffusers_version` and
 * the config, keys sorted, 2-space indent) and the weights in PyTorch layouts with
 * `__metadata__ = { format: 'pt' }`. Each file is written atomically. The equivalent of
 * diffusers' `model.save_pretrained(directory)`.
 */
export async function savePretrained(model: PretrainedModel, location: ModelLocation, options: SavePretrainedOptions = {}): Promise<void> {
  const className = (model.constructor as { className?: unknown }).className;
  if (typeof className !== 'string') {
    throw new PretrainedError(`${model.constructor.name} has no static className; give the model class the diffusers class name to save it.`);
  }
  const store = await openWritableModelStore(location);
  const weights = model.stateDict({ layout: 'torch' });
  try {
    const dtype = options.dtype ?? (options.variant === 'fp16' ? 'F16' : 'F32');
    await store.writeSafetensors(joinStorePath(options.subfolder, weightsFileName(options.variant)), weights, {
      dtype,
      metadata: { format: 'pt' },
    });
  } finally {
    for (const t of weights.values()) t.dispose();
  }
  await store.writeText(joinStorePath(options.subfolder, CONFIG_NAME), configJson(className, model.config));
}

/** A config as diffusers serializes it: class and version first in content, keys sorted. */
export function configJson(className: string, config: ModelConfig): string {
  const full: Record<string, unknown> = { ...config, _class_name: className, _diffusers_version: DIFFUSERS_VERSION };
  const sorted = Object.fromEntries(Object.keys(full).sort().map((k) => [k, full[k]]));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
