import { PretrainedError, findPretrainedClassOf, loadPretrained, registerPretrainedClass, resolvePretrainedClass, savePretrained } from '@yonos/core';
import { configJson, joinStorePath } from '@yonos/core/internal';
import { Module } from '@yonos/core/nn';
import type {
  LoadPretrainedOptions,
  ModelConfig,
  ModelStore,
  PretrainedClassEntry,
  PretrainedModel,
  PretrainedModelClass,
  ResolvePretrainedClassOptions,
  SavePretrainedOptions,
  WritableModelStore,
} from '@yonos/core';
import { DDIMScheduler, DDPMScheduler } from '../schedulers/index.js';
import type { ComponentSpec } from './model-index.js';

// Pipeline folders name their schedulers ["@yonos/sampler", "DDIMScheduler"] (the x4 upscaler's
// also ["diffusers", "DDPMScheduler"]); registering here (a module the pipelines import) keeps the
// registrations even when a bundler drops unused modules.
registerPretrainedClass('@yonos/sampler', DDIMScheduler, { className: 'DDIMScheduler', kind: 'scheduler' });
registerPretrainedClass('@yonos/sampler', DDPMScheduler, { className: 'DDPMScheduler', kind: 'scheduler' });

/** Options of {@link loadComponent}. */
export interface LoadComponentOptions extends ResolvePretrainedClassOptions {
  /** Weights variant (`'fp16'`) for model components. */
  readonly variant?: string;
}

interface FromPretrained {
  fromPretrained(location: ModelStore, options: LoadPretrainedOptions): Promise<unknown>;
}

interface SavesItself {
  savePretrained(location: WritableModelStore, options: SavePretrainedOptions): Promise<void>;
}

/**
 * Loads one component of a pipeline folder from its subfolder, resolving the class named in
 * `model_index.json` through the registry of `@yonos/core`: a scheduler from its
 * `scheduler_config.json`; a model through its class's static `fromPretrained` when it has
 * one, else core's `loadPretrained` (`config.json` + safetensors weights).
 * @throws UnknownPretrainedClassError if the class is unknown; PretrainedError for missing files.
 */
export async function loadComponent(
  store: ModelStore,
  subfolder: string,
  spec: ComponentSpec,
  options: LoadComponentOptions = {},
): Promise<unknown> {
  const entry = await resolvePretrainedClass(spec[0], spec[1], options);
  if (entry.kind === 'scheduler') {
    const path = joinStorePath(subfolder, entry.configName);
    const text = await store.readText(path);
    let config: ModelConfig;
    try {
      config = JSON.parse(text) as ModelConfig;
    } catch (cause) {
      throw new PretrainedError(`${store.location}/${path} is not valid JSON: ${(cause as Error).message}.`, { cause });
    }
    return entry.cls.fromConfig(config);
  }
  const load: LoadPretrainedOptions = { subfolder, ...(options.variant !== undefined ? { variant: options.variant } : {}) };
  const cls = entry.cls as Partial<FromPretrained>;
  if (typeof cls.fromPretrained === 'function') return cls.fromPretrained(store, load);
  return loadPretrained(entry.cls as PretrainedModelClass<PretrainedModel>, store, load);
}

/**
 * Saves one component into `subfolder` and returns its `model_index.json` entry. Schedulers
 * write `scheduler_config.json` (from `toConfig()`, else `config`); models their own
 * `savePretrained` when they have one, else core's `savePretrained`.
 * @throws PretrainedError if the component's class was never registered, or cannot be saved.
 */
export async function saveComponent(
  store: WritableModelStore,
  subfolder: string,
  component: object,
  options: Pick<SavePretrainedOptions, 'dtype'> = {},
): Promise<ComponentSpec> {
  const entry = findPretrainedClassOf(component);
  if (entry === undefined) {
    throw new PretrainedError(
      `cannot save the ${subfolder} (${component.constructor.name}): its class is not registered, so model_index.json cannot name it. ` +
        `Call registerPretrainedClass('<package>', ${component.constructor.name}) (importing the package that provides it usually does).`,
    );
  }
  if (entry.kind === 'scheduler') {
    await store.writeText(joinStorePath(subfolder, entry.configName), schedulerConfigText(entry, component));
  } else if (typeof (component as Partial<SavesItself>).savePretrained === 'function') {
    await (component as SavesItself).savePretrained(store, { subfolder, ...options });
  } else if (component instanceof Module && typeof (component as { config?: unknown }).config === 'object') {
    await savePretrained(component as PretrainedModel, store, { subfolder, ...options });
  } else {
    throw new PretrainedError(
      `cannot save the ${subfolder} (${entry.className}): it has neither savePretrained() nor a config and parameters to save.`,
    );
  }
  return [entry.library, entry.className];
}

function schedulerConfigText(entry: PretrainedClassEntry, scheduler: object): string {
  const s = scheduler as { toConfig?: () => unknown; config?: unknown };
  const config = typeof s.toConfig === 'function' ? s.toConfig() : s.config;
  if (typeof config !== 'object' || config === null) {
    throw new PretrainedError(`cannot save the scheduler ${entry.className}: it has neither toConfig() nor a config object.`);
  }
  if (typeof s.toConfig === 'function') return `${JSON.stringify(config, null, 2)}\n`;
  return configJson(entry.className, config as ModelConfig);
}
