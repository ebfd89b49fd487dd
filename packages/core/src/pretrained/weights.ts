import * as tf from '@tensorflow/tfjs-core';
import { torchToNative } from '../nn/layout.js';
import type { Module } from '../nn/module.js';
import { checkStateDictShapes } from '../nn/state-dict.js';
import type { SafetensorsReader } from '../safetensors/reader.js';

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Reject missing and unexpected keys (mis-shaped keys are always rejected). Default `true`. */
  readonly strict?: boolean;
}

/**
 * Loads a module's parameters from a safetensors file in PyTorch layouts (as diffusers
 * saves them), one tensor at a time, so peak memory is the model plus one tensor. Every
 * name and shape is checked against the file's header before any data is read: a mismatch
 * throws one `StateDictError` listing all missing, unexpected and mis-shaped keys, and
 * nothing is assigned.
 */
export async function loadWeights(module: Module, reader: SafetensorsReader, options: LoadWeightsOptions = {}): Promise<void> {
  const shapes = new Map(reader.keys().map((name) => [name, reader.info(name).shape] as const));
  checkStateDictShapes(module, shapes, { strict: options.strict ?? true, layout: 'torch' });
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
