import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@yonos/core/nn';
import { TrainingArgumentError } from './errors.js';

/**
 * Variables by stable name. Optimizer and EMA state are keyed by these names, so a
 * checkpoint written by one process loads in another (tfjs' own `variable.name` is a
 * process-local counter and cannot serve).
 */
export type NamedVariables = ReadonlyMap<string, tf.Variable>;

/** Options of {@link namedVariables}. */
export interface NamedVariablesOptions {
  /** Leave out frozen parameters (`trainable = false`). Default `true`. */
  readonly trainableOnly?: boolean;
}

/**
 * The variables of one module (named by parameter path, `conv_in.weight`) or of several
 * (named `<key>.<path>`, `unet.conv_in.weight`), in parameter order. The module owns them.
 * @throws {@link TrainingArgumentError} if two entries would share a name.
 * @throws `UninitializedParameterError` if a parameter has no value yet.
 */
export function namedVariables(
  models: Module | Readonly<Record<string, Module>>,
  options: NamedVariablesOptions = {},
): Map<string, tf.Variable> {
  const trainableOnly = options.trainableOnly ?? true;
  const out = new Map<string, tf.Variable>();
  const groups: Array<[string, Module]> = isModule(models) ? [['', models]] : Object.entries(models);
  for (const [prefix, module] of groups) {
    for (const [name, p] of module.namedParameters()) {
      if (trainableOnly && !p.trainable) continue;
      const full = prefix === '' ? name : `${prefix}.${name}`;
      if (out.has(full)) {
        throw new TrainingArgumentError(`Two variables are named '${full}': give the models distinct keys.`);
      }
      out.set(full, p.value);
    }
  }
  return out;
}

function isModule(x: unknown): x is Module {
  return typeof (x as Module | undefined)?.namedParameters === 'function';
}

/** Accepts a map of named variables, or an array (named `'0'`, `'1'`, ... in order). */
export function toNamedVariables(variables: NamedVariables | readonly tf.Variable[]): Map<string, tf.Variable> {
  if (Array.isArray(variables)) return new Map((variables as readonly tf.Variable[]).map((v, i) => [String(i), v]));
  return new Map(variables as NamedVariables);
}
