import { z } from 'zod';
import { UnetConfigError } from '../errors.js';

/** A positive integer. */
export const positiveInt = z.number().int().positive();

/** A non-negative integer. */
export const nonNegativeInt = z.number().int().nonnegative();

/** One positive integer for every level, or one per level. */
export const intOrList = z.union([positiveInt, z.array(positiveInt).min(1)], {
  error: 'expected a positive integer or a non-empty list of positive integers',
});

/** diffusers' `sample_size`: an integer, `[height, width]` or `null`. */
export const sampleSize = z
  .union([positiveInt, z.tuple([positiveInt, positiveInt])], {
    error: 'expected a positive integer, [height, width] or null',
  })
  .nullable();

/** Activation names diffusers accepts in `act_fn` and friends (case-insensitive there; kept as given). */
export const activationName = z.string().refine((s) => ['swish', 'silu', 'mish', 'gelu', 'relu'].includes(s.toLowerCase()), {
  error: 'expected one of "silu", "swish", "mish", "gelu", "relu"',
});

/** The ResNet time conditioning modes (`resnet_time_scale_shift`); the unsupported ones are rejected later. */
export const timeScaleShift = z.string();

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return JSON.stringify(v).slice(0, 80);
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * Parses `raw` with `schema`, turning every zod issue into one {@link UnetConfigError} that
 * lists each bad key with what it got.
 */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, className: string): z.output<S> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UnetConfigError(`${className} config must be a JSON object (diffusers config.json); got ${describe(raw)}.`);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    return `"${key}": ${issue.message.replace(/^Invalid input: /, '')}, got ${describe(valueAt(raw, issue.path))}`;
  });
  throw new UnetConfigError(`Invalid ${className} config: ${lines.join('; ')}. Fix these keys (diffusers names and meanings).`);
}

/** Throws a {@link UnetConfigError} for a config key this package does not implement. */
export function unsupported(className: string, key: string, value: unknown, hint: string): never {
  throw new UnetConfigError(`${className}: ${key} = ${describe(value)} is not supported by @yonos/unet; ${hint}.`);
}

/** Expands a per-level option given as one value or a list, checking the list length. */
export function perLevel<T>(className: string, key: string, value: T | readonly T[], levels: number): T[] {
  if (!Array.isArray(value)) return Array.from({ length: levels }, () => value as T);
  if (value.length !== levels) {
    throw new UnetConfigError(
      `${className}: ${key} has ${value.length} entries but there are ${levels} down blocks; give one per level or a single value.`,
    );
  }
  return [...(value as readonly T[])];
}

/** Strips diffusers' optional `UNetRes` prefix of block type names, as `get_down_block` does. */
export function blockTypeName(name: string): string {
  return name.startsWith('UNetRes') ? name.slice(7) : name;
}
