import { DIFFUSERS_VERSION } from '@yonos/core';
import { SchedulerConfigError } from './errors.js';

/**
 * Reading one diffusers `scheduler_config.json` key at a time, with the scheduler's default
 * for a missing key and a {@link SchedulerConfigError} naming the key for a bad value. Shared
 * by every scheduler's config parser, so their messages read alike.
 * @internal
 */

/** diffusers' bookkeeping keys, accepted in every scheduler config. */
export const BOOKKEEPING_KEYS = ['_class_name', '_diffusers_version'] as const;

/** A value as a message shows it. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

/** @throws SchedulerConfigError saying what `key` must be and what it was. */
export function failKey(key: string, expected: string, got: unknown): never {
  throw new SchedulerConfigError(`scheduler config "${key}" must be ${expected}; got ${describeValue(got)}.`);
}

/**
 * The raw config as a record, its bookkeeping keys checked, and (when `strict`) no keys but
 * `known` and the bookkeeping ones.
 * @throws SchedulerConfigError for a non-object, a non-string bookkeeping key or unknown keys.
 */
export function configRecord(raw: unknown, className: string, known: readonly string[], strict: boolean): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SchedulerConfigError(`a scheduler config must be a JSON object; got ${describeValue(raw)}.`);
  }
  const cfg = raw as Record<string, unknown>;
  for (const key of BOOKKEEPING_KEYS) {
    if (cfg[key] !== undefined && cfg[key] !== null && typeof cfg[key] !== 'string') failKey(key, 'a string', cfg[key]);
  }
  if (strict) {
    const allowed = new Set<string>([...known, ...BOOKKEEPING_KEYS]);
    const unknown = Object.keys(cfg).filter((k) => !allowed.has(k));
    if (unknown.length > 0) {
      throw new SchedulerConfigError(
        `unknown ${className} config keys: ${unknown.join(', ')}. Remove them or parse without { strict: true }.`,
      );
    }
  }
  return cfg;
}

/** Typed reads of a config record's keys, falling back to `defaults`. */
export class ConfigFields<C extends object> {
  readonly #raw: Record<string, unknown>;
  readonly #defaults: C;

  constructor(raw: Record<string, unknown>, defaults: C) {
    this.#raw = raw;
    this.#defaults = defaults;
  }

  #value(key: keyof C & string): unknown {
    return this.#raw[key] === undefined ? this.#defaults[key] : this.#raw[key];
  }

  /** `true` or `false`. */
  bool(key: keyof C & string): boolean {
    const v = this.#value(key);
    if (typeof v !== 'boolean') failKey(key, 'true or false', v);
    return v;
  }

  /** A finite number for which `ok` holds; `expected` describes it in the message. */
  num(key: keyof C & string, expected: string, ok: (v: number) => boolean): number {
    const v = this.#value(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) failKey(key, expected, v);
    return v;
  }

  /** One of the `allowed` strings. */
  oneOf<T extends string>(key: keyof C & string, allowed: readonly T[]): T {
    const v = this.#value(key);
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      failKey(key, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, v);
    }
    return v as T;
  }
}

/**
 * `trained_betas`: `null`/missing, or exactly `numTrain` numbers in [0, 1].
 * @throws SchedulerConfigError naming the bad element or the length mismatch.
 */
export function parseTrainedBetas(v: unknown, numTrain: number): readonly number[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) failKey('trained_betas', 'null or an array of numbers in [0, 1]', v);
  const bad = v.findIndex((b) => typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > 1);
  if (bad >= 0) failKey('trained_betas', `numbers in [0, 1] (element ${bad} is ${describeValue(v[bad])})`, v[bad]);
  if (v.length !== numTrain) {
    throw new SchedulerConfigError(
      `scheduler config "trained_betas" has ${v.length} values but "num_train_timesteps" is ${numTrain}; ` +
        'set num_train_timesteps to the number of betas.',
    );
  }
  return Object.freeze([...(v as number[])]);
}

/**
 * A config as diffusers' `save_config` writes it: `_class_name`, `_diffusers_version`, then
 * every key sorted (diffusers serializes with `sort_keys=True`); arrays copied.
 */
export function sortedConfigJson<N extends string, C extends object>(
  className: N,
  config: C,
): C & { readonly _class_name: N; readonly _diffusers_version: string } {
  const entries = Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = Object.fromEntries(
    entries.map(([k, v]) => [k, Array.isArray(v) ? [...(v as number[])] : (v as unknown)]),
  ) as unknown as C;
  return { _class_name: className, _diffusers_version: DIFFUSERS_VERSION, ...body };
}
