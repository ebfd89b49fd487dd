import type { z } from 'zod';
import { VaeConfigError } from './errors.js';

// diffusers drops these bookkeeping keys when it writes config.json; keeping them would
// make a round trip write keys diffusers never writes.
const DROPPED_KEYS = ['_use_default_values', '_ignore_files'];

/** Freezes `value` and everything it holds, so a parsed config cannot drift from the weights built from it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The checks every VAE config parser shares: `input` is an object, its `_class_name` (if any)
 * is `className`, diffusers' bookkeeping keys are dropped, and `schema` accepts the rest.
 * @param input The parsed `config.json` or any subset of its keys. Not modified.
 * @returns The schema's output (defaults filled in), a new object, not yet frozen.
 * @throws {@link VaeConfigError} listing every invalid key, or if `_class_name` names another class.
 */
export function parseVaeConfig<S extends z.ZodType>(input: unknown, className: string, schema: S): z.output<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new VaeConfigError(`An ${className} config must be an object of diffusers config keys (the contents of config.json).`);
  }
  const named = (input as Record<string, unknown>)['_class_name'];
  if (named !== undefined && named !== className) {
    throw new VaeConfigError(`This config describes a ${String(named)}, not an ${className}: load it with the matching class.`);
  }
  const copy: Record<string, unknown> = structuredClone(input as Record<string, unknown>);
  for (const key of DROPPED_KEYS) delete copy[key];
  const result = schema.safeParse(copy);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      return `${path === '' ? '(config)' : path}: ${issue.message}`;
    });
    throw new VaeConfigError(`Invalid ${className} config. ${problems.join('; ')}.`);
  }
  return result.data;
}
