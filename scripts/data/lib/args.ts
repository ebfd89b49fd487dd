import { DataScriptError } from './errors.js';

/** One command-line flag a script accepts. */
export interface FlagSpec {
  /** Name without the leading `--`. */
  readonly name: string;
  /** Shown by `--help`. */
  readonly help: string;
  /** Default value, as it would be typed; `undefined` for a boolean switch. */
  readonly default?: string;
}

/** Parsed flags: every declared flag with a value, boolean switches as `'true'` or absent. */
export type Flags = Readonly<Record<string, string | undefined>>;

/**
 * Parses `--name value`, `--name=value` and boolean `--switch` flags. Unknown flags are an
 * error so a typo never silently falls back to a default.
 * @returns the flags, or `undefined` when `--help` was asked (the usage is printed).
 * @throws {@link DataScriptError} for an unknown flag or a missing value.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], usage: string): Flags | undefined {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: Record<string, string | undefined> = {};
  for (const s of specs) out[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(usage + '\n\nFlags:\n' + specs.map((s) => `  --${s.name}${s.default !== undefined ? ` (default ${s.default})` : ''}\n      ${s.help}`).join('\n'));
      return undefined;
    }
    if (!arg.startsWith('--')) throw new DataScriptError(`Unexpected argument '${arg}': flags look like --name value (see --help).`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new DataScriptError(`Unknown flag --${name}: known flags are ${specs.map((s) => '--' + s.name).join(', ')}.`);
    if (spec.default === undefined && eq === -1) {
      out[name] = 'true';
    } else if (eq !== -1) {
      out[name] = arg.slice(eq + 1);
    } else {
      const value = argv[++i];
      if (value === undefined) throw new DataScriptError(`Flag --${name} needs a value.`);
      out[name] = value;
    }
  }
  return out;
}

/**
 * Reads a numeric flag.
 * @throws {@link DataScriptError} if the value is not a finite number (or not an integer when `integer`), or is below `min`.
 */
export function numberFlag(flags: Flags, name: string, opts: { integer?: boolean; min?: number } = {}): number {
  const raw = flags[name];
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || (opts.integer === true && !Number.isInteger(value))) {
    throw new DataScriptError(`--${name} must be ${opts.integer === true ? 'an integer' : 'a number'}, got '${raw}'.`);
  }
  if (opts.min !== undefined && value < opts.min) throw new DataScriptError(`--${name} must be at least ${opts.min}, got ${value}.`);
  return value;
}

/**
 * Reads a comma-separated list of positive integers (e.g. `--scales 4,8`).
 * @throws {@link DataScriptError} if an item is not a positive integer.
 */
export function integerListFlag(flags: Flags, name: string): number[] {
  const raw = flags[name] ?? '';
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const values = items.map(Number);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new DataScriptError(`--${name} must be a comma-separated list of positive integers, got '${raw}'.`);
  }
  return values;
}

/** Reads a string flag, or fails naming it. @throws {@link DataScriptError} if it has no value. */
export function stringFlag(flags: Flags, name: string): string {
  const v = flags[name];
  if (v === undefined || v === '') throw new DataScriptError(`--${name} needs a value.`);
  return v;
}
