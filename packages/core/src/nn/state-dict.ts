import type * as tf from '@tensorflow/tfjs-core';
import { StateDictError } from './errors.js';
import type { ShapeMismatch } from './errors.js';
import { nativeToTorch, torchToNative } from './layout.js';
import type { StateDictLayout } from './layout.js';
import type { Module } from './module.js';

/** A state dict to load: a `Map` or a plain object from parameter names to tensors (any numeric dtype). */
export type StateDictInput = ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Reject missing and unexpected keys (default `true`). Mis-shaped keys are always rejected. */
  readonly strict?: boolean;
  /** Layout of the dict's tensors (default `'torch'`, as in diffusers safetensors files). */
  readonly layout?: StateDictLayout;
}

function entriesOf(dict: StateDictInput): Map<string, tf.Tensor> {
  if (dict instanceof Map) return new Map(dict);
  return new Map(Object.entries(dict as Readonly<Record<string, tf.Tensor>>));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Implements {@link Module.expectedShapes}. */
export function expectedShapesOf(module: Module, layout: StateDictLayout): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, p] of module.namedParameters()) {
    out.set(name, layout === 'torch' ? p.torchShape : [...p.shape]);
  }
  return out;
}

/** Implements {@link Module.stateDict}. */
export function collectStateDict(module: Module, layout: StateDictLayout): Map<string, tf.Tensor> {
  const params = module.namedParameters();
  // Read every value first so an uninitialized parameter throws before anything is allocated.
  const values = params.map(([name, p]) => [name, p.value, p.layout] as const);
  const out = new Map<string, tf.Tensor>();
  for (const [name, value, kind] of values) {
    out.set(name, layout === 'torch' ? nativeToTorch(kind, value) : value);
  }
  return out;
}

/**
 * Checks names and shapes of a state dict against a module without reading any values (so
 * a checkpoint can be checked from its header alone). Throws one {@link StateDictError}
 * listing all missing, unexpected (strict only) and mis-shaped keys.
 * @param shapes each key's shape in `options.layout` (default `'torch'`).
 */
export function checkStateDictShapes(
  module: Module,
  shapes: ReadonlyMap<string, readonly number[]>,
  options: LoadStateDictOptions = {},
): void {
  const strict = options.strict ?? true;
  const layout = options.layout ?? 'torch';
  const params = module.namedParameters();
  const expectedNames = new Set(params.map(([name]) => name));

  const missing: string[] = [];
  const mismatched: ShapeMismatch[] = [];
  let otherLayoutFits = 0;
  for (const [name, p] of params) {
    const shape = shapes.get(name);
    if (shape === undefined) {
      missing.push(name);
      continue;
    }
    const expected = layout === 'torch' ? p.torchShape : [...p.shape];
    if (!sameShape(shape, expected)) {
      mismatched.push({ name, expected, got: [...shape] });
      const other = layout === 'torch' ? [...p.shape] : p.torchShape;
      if (sameShape(shape, other)) otherLayoutFits++;
    }
  }
  const unexpected = [...shapes.keys()].filter((name) => !expectedNames.has(name));

  if (mismatched.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
    const other = layout === 'torch' ? 'native' : 'torch';
    const hint =
      mismatched.length > 0 && otherLayoutFits === mismatched.length
        ? ` Every mis-shaped tensor has the ${other} shape: did you mean { layout: '${other}' }?`
        : '';
    throw new StateDictError(
      strict ? { missing, unexpected, mismatched } : { missing: [], unexpected: [], mismatched },
      layout,
      hint,
    );
  }
}

/** Implements {@link Module.loadStateDict}. */
export function loadIntoModule(module: Module, dict: StateDictInput, options: LoadStateDictOptions): void {
  const layout = options.layout ?? 'torch';
  const given = entriesOf(dict);
  checkStateDictShapes(module, new Map([...given].map(([name, t]) => [name, t.shape])), options);
  const params = module.namedParameters();

  for (const [name, p] of params) {
    const t = given.get(name);
    if (t === undefined) continue;
    const native = layout === 'torch' ? torchToNative(p.layout, t) : t;
    try {
      p.assign(native);
    } finally {
      if (native !== t) native.dispose();
    }
  }
}
