import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

/** The BasicSR golden data folder (`/work/shared/fixtures/basicsr` next to the project root). */
export const BASICSR_DIR = fileURLToPath(new URL('../../../../../shared/fixtures/basicsr/', import.meta.url));

interface Entry {
  readonly dtype: string;
  readonly shape: number[];
  readonly data_offsets: [number, number];
}

/** A decoded F32 fixture tensor: host data plus its shape. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

let cache: Map<string, HostTensor> | undefined;

/**
 * Minimal safetensors reader for the fixtures (F32 only), kept local so these tests do not
 * depend on core's reader.
 */
export function loadDegradeFixtures(): Map<string, HostTensor> {
  if (cache !== undefined) {
    return cache;
  }
  const bytes = readFileSync(`${BASICSR_DIR}degrade.safetensors`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, Entry | unknown>;
  const base = 8 + headerLength;
  const out = new Map<string, HostTensor>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      continue;
    }
    const entry = value as Entry;
    if (entry.dtype !== 'F32') {
      throw new Error(`fixture ${name}: unexpected dtype ${entry.dtype}`);
    }
    const [start, end] = entry.data_offsets;
    const copy = new Uint8Array(bytes.subarray(base + start, base + end));
    out.set(name, { shape: entry.shape, data: new Float32Array(copy.buffer) });
  }
  cache = out;
  return out;
}

/** One fixture tensor by name (throws when absent). */
export function fixture(name: string): HostTensor {
  const t = loadDegradeFixtures().get(name);
  if (t === undefined) {
    throw new Error(`fixture ${name} not found`);
  }
  return t;
}

/** A fixture HWC image as an NHWC `[1, H, W, C]` tensor. */
export function fixtureImage(name: string): tf.Tensor4D {
  const t = fixture(name);
  return tf.tensor4d(t.data, [1, t.shape[0]!, t.shape[1]!, t.shape[2]!]);
}

/** `degrade.json` (kernel parameters, descriptions). */
export function degradeJson(): {
  kernels: Array<Record<string, number | string | boolean>>;
} {
  return JSON.parse(readFileSync(`${BASICSR_DIR}degrade.json`, 'utf8'));
}

/** Max |a - b| over two equally long arrays (throws on a length mismatch). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  }
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) {
      m = Number.isNaN(d) ? Infinity : d;
    }
  }
  return m;
}
