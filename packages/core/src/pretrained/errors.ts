import { YonosError } from '../errors.js';
import { StateDictError } from '../nn/errors.js';
import { SafetensorsError } from '../safetensors/errors.js';

/** A model folder cannot be read or written: a missing file, bad JSON, or a config of another class. */
export class PretrainedError extends YonosError {}

/** One stored tensor whose element type cannot be loaded into a float parameter as it is. */
export interface WeightDtypeProblem {
  /** The tensor's name in the file (the parameter's name). */
  readonly name: string;
  /** Its stored safetensors dtype (`'I16'`, `'U8'`, `'F8_E4M3'`, ...). */
  readonly dtype: string;
}

const LISTED = 20;

function listProblems(problems: readonly WeightDtypeProblem[]): string {
  const shown = problems
    .slice(0, LISTED)
    .map((p) => `${p.name} (${p.dtype})`)
    .join(', ');
  return problems.length > LISTED ? `${shown}, ... and ${problems.length - LISTED} more` : shown;
}

/**
 * Weights stored with an element type a float parameter should not be loaded from. Every
 * parameter is float32 in memory; safetensors F32, F16, BF16 and F64 convert exactly (F64
 * rounded to float32). An integer or BOOL tensor would be cast value by value (a weight
 * `0.73` stored as I16 is `0` or `1`), which gives wrong outputs without any error, so it is
 * refused unless the load options say `allowDtypeCast: true`; F8, F4, F6 and C64 tensors
 * have no conversion at all. Thrown before any value is read or assigned.
 */
export class WeightDtypeError extends SafetensorsError {
  /** Every offending tensor with its stored dtype, in the model's parameter order. */
  readonly problems: readonly WeightDtypeProblem[];

  /**
   * @param problems The offending tensors (all of them).
   * @param source Where the weights come from, for the message (a file path), or `''`.
   */
  constructor(problems: readonly WeightDtypeProblem[], source = '') {
    const casts = problems.filter((p) => INTEGER_LIKE.has(p.dtype));
    const others = problems.filter((p) => !INTEGER_LIKE.has(p.dtype));
    const parts: string[] = [];
    if (casts.length > 0) {
      parts.push(
        `${casts.length} float parameter(s) are stored as integers or booleans: ${listProblems(casts)}. ` +
          'Loading them would cast each stored value to float32, which is almost never what the file means ' +
          '(quantized weights need their scales applied first). Re-export the weights as F32, F16 or BF16, ' +
          'or pass { allowDtypeCast: true } to the load options if the stored values are exactly the weights.',
      );
    }
    if (others.length > 0) {
      parts.push(
        `${others.length} parameter(s) have a dtype tfjs cannot represent: ${listProblems(others)}. ` +
          'Re-export the weights as F32, F16 or BF16 (or convert them yourself from SafetensorsReader.readRaw()).',
      );
    }
    super(`Cannot load the weights${source !== '' ? ` of ${source}` : ''}; nothing was loaded. ${parts.join(' ')}`);
    this.problems = problems;
  }
}

/** The safetensors dtypes {@link WeightDtypeError} calls casts (integers and BOOL). */
export const INTEGER_LIKE: ReadonlySet<string> = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64']);

/** One config key whose value disagrees with what the weights were saved from. */
export interface ConfigKeyConflict {
  /** The config key (`block_out_channels`, `layers_per_block`, ...). */
  readonly key: string;
  /** The value the model was built with: the file's, or the default when the file lacks the key. */
  readonly config: unknown;
  /** The value the weights' shapes imply. */
  readonly weights: unknown;
  /** Whether the file lacks the key, so that {@link ConfigKeyConflict.config} is the class's default. */
  readonly defaulted: boolean;
}

/** What {@link ConfigMismatchError} reports besides the state-dict lists. */
export interface ConfigMismatchDetails {
  /** The config file the model was built from (`<folder>/unet/config.json`). */
  readonly configFile: string;
  /** The weights file that does not fit it. */
  readonly weightsFile: string;
  /** Keys the config file lacks, so the class's defaults were used, each with the value used; in key order. */
  readonly defaulted: ReadonlyMap<string, unknown>;
  /** Keys whose value disagrees with the weights, when the class can tell them from the weights' shapes. */
  readonly conflicts: readonly ConfigKeyConflict[];
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * A model folder's weights do not fit the model built from its `config.json`. A
 * {@link StateDictError} (the same `missing`, `unexpected` and `mismatched` lists, nothing
 * assigned) whose message starts with the config file, the keys whose values disagree with
 * the weights (when the model class can read them from the weights' shapes, e.g.
 * `block_out_channels`, `layers_per_block`, `in_channels`) and the keys the file lacks, for
 * which the class's defaults (diffusers 0.25's) were used.
 */
export class ConfigMismatchError extends StateDictError {
  /** The config file the model was built from. */
  readonly configFile: string;
  /** The weights file that does not fit it. */
  readonly weightsFile: string;
  /** Keys the config file lacks, with the default value used for each. */
  readonly defaulted: ReadonlyMap<string, unknown>;
  /** Keys whose value disagrees with the weights (empty when the class cannot tell). */
  readonly conflicts: readonly ConfigKeyConflict[];

  /**
   * @param cause The state-dict error of loading the weights.
   * @param details The config file, its defaulted keys and the conflicting keys.
   */
  constructor(cause: StateDictError, details: ConfigMismatchDetails) {
    super({ missing: cause.missing, unexpected: cause.unexpected, mismatched: cause.mismatched }, 'torch');
    const { configFile, weightsFile, defaulted, conflicts } = details;
    const parts = [`The weights in ${weightsFile} do not fit the model built from ${configFile}.`];
    if (conflicts.length > 0) {
      const listed = conflicts.map((c) =>
        c.defaulted
          ? `${c.key}: the weights have ${show(c.weights)}, but config.json lacks the key, so the default ${show(c.config)} was used`
          : `${c.key}: the weights have ${show(c.weights)}, config.json says ${show(c.config)}`,
      );
      parts.push(`Config keys that disagree with the weights: ${listed.join('; ')}. Set them in ${configFile}.`);
    }
    if (defaulted.size > 0) {
      const listed = [...defaulted].map(([key, value]) => `${key} = ${show(value)}`).join(', ');
      parts.push(`${configFile} lacks these keys, so the defaults were used: ${listed}.`);
    }
    if (conflicts.length === 0) {
      parts.push(`Check that ${configFile} is the config the weights were saved with${defaulted.size > 0 ? ' (a missing key above is the usual cause)' : ''}.`);
    }
    this.message = `${parts.join(' ')} ${cause.message}`;
    this.cause = cause;
    this.configFile = configFile;
    this.weightsFile = weightsFile;
    this.defaulted = defaulted;
    this.conflicts = conflicts;
  }
}
