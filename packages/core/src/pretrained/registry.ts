import { PretrainedError } from './errors.js';
import type { ModelConfig } from './model-folder.js';

/**
 * What a registered class is, which decides how a pipeline folder stores it:
 * - `'model'`: `<component>/config.json` + `diffusion_pytorch_model[.variant].safetensors`
 *   (diffusers' `ModelMixin`: `AutoencoderKL`, `UNet2DConditionModel`, ...);
 * - `'scheduler'`: `<component>/scheduler_config.json` only (diffusers' `SchedulerMixin`).
 */
export type PretrainedClassKind = 'model' | 'scheduler';

/**
 * A class a pipeline folder can name in `model_index.json`: anything with a static
 * `fromConfig` (and, for models, the static `className` and optional `fromPretrained`
 * that {@link loadPretrained} uses).
 */
export interface PretrainedClass {
  /** diffusers' `_class_name`, if the class declares it. */
  readonly className?: string;
  /** Builds an instance from a parsed config (`config.json` / `scheduler_config.json`). */
  fromConfig(config: ModelConfig): unknown;
}

/** Options of {@link registerPretrainedClass}. */
export interface RegisterPretrainedClassOptions {
  /** The name `model_index.json` uses; default the class's static `className`. */
  readonly className?: string;
  /** Default `'model'`. */
  readonly kind?: PretrainedClassKind;
}

/** One registered class: where `model_index.json` says it lives, and how it is stored. */
export interface PretrainedClassEntry {
  /** The package that provides it, as `model_index.json` writes it (`'@yonos/unet'`). */
  readonly library: string;
  /** diffusers' class name (`'UNet2DConditionModel'`). */
  readonly className: string;
  /** Whether the component folder holds a model (config + weights) or a scheduler (config only). */
  readonly kind: PretrainedClassKind;
  /** The config file name inside the component's folder: `config.json` or `scheduler_config.json`. */
  readonly configName: string;
  /** The class itself, whose static `fromConfig` (and `fromPretrained`, for models) builds instances. */
  readonly cls: PretrainedClass;
}

/** Options of {@link resolvePretrainedClass}. */
export interface ResolvePretrainedClassOptions {
  /**
   * How to import a library that registered nothing yet. Default: `import(library)` (works in
   * Node, and in browsers with an import map). Pass `(s) => import(s)` from your own code, or a
   * map of known packages, when a bundler must see the import statically.
   */
  readonly importer?: (specifier: string) => Promise<unknown>;
}

/**
 * Thrown when `model_index.json` names a class nobody registered and its library cannot be
 * imported. The message says which package to import or install.
 */
export class UnknownPretrainedClassError extends PretrainedError {}

/**
 * Library names written by other toolkits (diffusers' own pipelines say `["diffusers", "AutoencoderKL"]`):
 * for these, any registered class of the same name is used, and nothing is imported.
 */
const FOREIGN_LIBRARIES = new Set(['diffusers', 'transformers']);

// A bare npm package name, optionally scoped: no paths, URLs or data: specifiers, so a
// model_index.json fetched from elsewhere can only load packages that are installed.
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

const registry = new Map<string, PretrainedClassEntry>();
const key = (library: string, className: string): string => `${library}\u0000${className}`;

function configNameOf(kind: PretrainedClassKind): string {
  return kind === 'scheduler' ? 'scheduler_config.json' : 'config.json';
}

/**
 * Makes a class loadable by name from pipeline folders (`model_index.json` entries such as
 * `"unet": ["@yonos/unet", "UNet2DConditionModel"]`). Packages call this when imported, for
 * example `registerPretrainedClass('@yonos/vae', AutoencoderKL)`. Registering the same
 * library and name again replaces the earlier class (module reloads stay harmless).
 * @returns The stored entry.
 * @throws PretrainedError if the class has no static `fromConfig`, or no name is known.
 */
export function registerPretrainedClass(
  library: string,
  cls: PretrainedClass,
  options: RegisterPretrainedClassOptions = {},
): PretrainedClassEntry {
  const className = options.className ?? cls.className;
  if (typeof library !== 'string' || library === '') {
    throw new PretrainedError('registerPretrainedClass needs the library name that model_index.json will use, e.g. "@yonos/unet".');
  }
  if (typeof className !== 'string' || className === '') {
    throw new PretrainedError(
      `registerPretrainedClass('${library}', ...): the class has no static className; pass { className: 'DDIMScheduler' } or similar.`,
    );
  }
  if (typeof cls?.fromConfig !== 'function') {
    throw new PretrainedError(`registerPretrainedClass('${library}', ${className}): the class needs a static fromConfig(config).`);
  }
  const kind = options.kind ?? 'model';
  const entry: PretrainedClassEntry = Object.freeze({ library, className, kind, configName: configNameOf(kind), cls });
  registry.set(key(library, className), entry);
  return entry;
}

/**
 * The registered entry for a `model_index.json` pair, or `undefined`. For a foreign library
 * (`'diffusers'`, `'transformers'`), any library's class of that name matches.
 */
export function lookupPretrainedClass(library: string, className: string): PretrainedClassEntry | undefined {
  const exact = registry.get(key(library, className));
  if (exact !== undefined || !FOREIGN_LIBRARIES.has(library)) return exact;
  for (const entry of registry.values()) if (entry.className === className) return entry;
  return undefined;
}

/** The registered entry whose class constructed `instance` (to name it in `model_index.json`), or `undefined`. */
export function findPretrainedClassOf(instance: object): PretrainedClassEntry | undefined {
  const ctor = (instance as { constructor?: unknown }).constructor;
  let found: PretrainedClassEntry | undefined;
  for (const entry of registry.values()) if (entry.cls === ctor) found ??= entry;
  return found;
}

/** Every registered entry, in registration order. */
export function registeredPretrainedClasses(): PretrainedClassEntry[] {
  return [...registry.values()];
}

function guessKind(className: string): PretrainedClassKind {
  return className.endsWith('Scheduler') ? 'scheduler' : 'model';
}

/**
 * {@link lookupPretrainedClass}, and when nothing is registered, imports `library` (a bare
 * package name only) so its registrations run; if the package exports a class named
 * `className` with a static `fromConfig` but did not register it, it is registered now (kind
 * `'scheduler'` for names ending in `Scheduler`, else `'model'`).
 * @throws UnknownPretrainedClassError naming the package to import or install.
 */
export async function resolvePretrainedClass(
  library: string,
  className: string,
  options: ResolvePretrainedClassOptions = {},
): Promise<PretrainedClassEntry> {
  const known = lookupPretrainedClass(library, className);
  if (known !== undefined) return known;
  if (FOREIGN_LIBRARIES.has(library)) {
    throw new UnknownPretrainedClassError(
      `no class named ${className} is registered (model_index.json names it from ${library}); ` +
        `import the package that provides it first (e.g. import '@yonos/unet' or '@yonos/vae'), or pass the component yourself.`,
    );
  }
  if (!PACKAGE_NAME.test(library)) {
    throw new UnknownPretrainedClassError(
      `model_index.json names the library "${library}", which is not a package name; only installed packages are imported. ` +
        `Register the class with registerPretrainedClass('${library}', ${className}) or pass the component yourself.`,
    );
  }
  const importer = options.importer ?? ((specifier: string) => import(/* @vite-ignore */ specifier));
  let mod: unknown;
  try {
    mod = await importer(library);
  } catch (cause) {
    throw new UnknownPretrainedClassError(
      `${className} is not registered and ${library} cannot be imported (${(cause as Error)?.message ?? String(cause)}): ` +
        `import '${library}' first or install it (npm install ${library}).`,
      { cause },
    );
  }
  const registered = lookupPretrainedClass(library, className);
  if (registered !== undefined) return registered;
  const exported: unknown = (mod as Record<string, unknown> | undefined)?.[className];
  if (typeof exported === 'function' && typeof (exported as Partial<PretrainedClass>).fromConfig === 'function') {
    return registerPretrainedClass(library, exported as unknown as PretrainedClass, { className, kind: guessKind(className) });
  }
  throw new UnknownPretrainedClassError(
    `${library} was imported but provides no class ${className}: check model_index.json, update ${library}, or ` +
      `register the class with registerPretrainedClass('${library}', ${className}).`,
  );
}
