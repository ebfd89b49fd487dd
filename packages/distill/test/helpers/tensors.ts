import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@yonos/core/nn';

/** Float32 values as their bit patterns, for bit-identity checks (NaN payloads, -0 included). */
export function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** A module's parameters by name as host float32 copies. */
export async function weightsOf(module: Module): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, p] of module.namedParameters()) out.set(name, (await p.value.data()) as Float32Array);
  return out;
}

/** Host copies of a state map (any dtype), by key. */
export async function hostState(state: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const [k, t] of state) out.set(k, Array.from(await t.data()));
  return out;
}

/** Number of positions whose float32 bits differ between two maps (missing keys count as all different). */
export function bitDifferences(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): number {
  let diff = 0;
  const keys = new Set([...a.keys(), ...b.keys()]);
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    if (x === undefined || y === undefined || x.length !== y.length) {
      diff += Math.max(x?.length ?? 0, y?.length ?? 0, 1);
      continue;
    }
    const bx = bits(x);
    const by = bits(y);
    for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) diff++;
  }
  return diff;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export { tf };
