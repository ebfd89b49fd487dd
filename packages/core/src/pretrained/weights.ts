import * as tf from '@tensorflow/tfjs-core';
import { torchToNative } from '../nn/layout.js';
import type { Module } from '../nn/module.js';
import { checkStateDictShapes } from '../nn/state-dict.js';
import type { SafetensorsReader } from '../safetensors/reader.js';
import { INTEGER_LIKE, WeightDtypeError } from './errors.js';
import type { WeightDtypeProblem } from './errors.js';

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Reject missing and unexpected keys (mis-shaped keys are always rejected). Default `true`. */
  readonly strict?: boolean;
  /**
   * Load float parameters from integer or BOOL tensors (I8/U8/I16/U16/I32/U32/I64/U64/BOOL) by
   * casting each stored value to float32. Default `false`: such a file is refused with a
   * {@link WeightDtypeError}, since a cast is almost never what it means (quantized weights need
   * their scales, and float weights stored as integers lost their fractions). F32, F16, BF16
   * and F64 always load; F8/F4/F6/C64 never do.
   */
  readonly allowDtypeCast?: boolean;
}

const FLOAT_DTYPES: ReadonlySet<string> = new Set(['F32', 'F16', 'BF16', 'F64']);

/**
 * Loads a module's parameters from a safetensors file in PyTorch layouts (as diffusers
 * saves them), one tensor at a time, so peak memory is the model plus one tensor. Every
 * name, shape and dtype is checked against the file's header before any data is read, and
 * nothing is assigned when a check fails.
 * @throws StateDictError listing all missing, unexpected and mis-shaped keys.
 * @throws {@link WeightDtypeError} listing every parameter stored as an integer or BOOL (unless
 *   `allowDtypeCast`) or as a type tfjs cannot hold (F8, F4, F6, C64).
 */
export async function loadWeights(module: Module, reader: SafetensorsReader, options: LoadWeightsOptions = {}): Promise<void> {
  const shapes = new Map(reader.keys().map((name) => [name, reader.info(name).shape] as const));
  checkStateDictShapes(module, shapes, { strict: options.strict ?? true, layout: 'torch' });
  const problems: WeightDtypeProblem[] = [];
  for (const [name] of module.namedParameters()) {
    if (!reader.has(name)) continue;
    const { dtype } = reader.info(name);
    if (FLOAT_DTYPES.has(dtype) || (options.allowDtypeCast === true && INTEGER_LIKE.has(dtype))) continue;
    problems.push({ name, dtype });
  }
  if (problems.length > 0) throw new WeightDtypeError(problems);
  for (const [name, parameter] of module.namedParameters()) {
    if (!reader.has(name)) continue;
    const stored = await reader.tensor(name);
    const native = torchToNative(parameter.layout, stored);
    try {
      parameter.assign(native);
    } finally {
      tf.dispose([stored, native]);
    }
  }
}
