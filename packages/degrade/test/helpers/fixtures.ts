import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsReader } from '@yonos/core';

/** The BasicSR golden data folder (`fixtures/basicsr` in the repository). */
export const BASICSR_DIR = fileURLToPath(new URL('../../../../fixtures/basicsr/', import.meta.url));

/** A decoded F32 fixture tensor: host data plus its shape. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Every tensor of `degrade.safetensors` as host data, through core's safetensors reader. */
async function readDegradeFixtures(): Promise<Map<string, HostTensor>> {
  const reader = SafetensorsReader.fromBytes(readFileSync(`${BASICSR_DIR}degrade.safetensors`));
  const out = new Map<string, HostTensor>();
  for (const name of reader.keys()) {
    const { dtype, shape } = reader.info(name);
    if (dtype !== 'F32') {
      throw new Error(`fixture ${name}: unexpected dtype ${dtype}`);
    }
    out.set(name, { shape, data: (await reader.readRaw(name)) as Float32Array });
  }
  return out;
}

// Read once when the helper is imported (core's reader is async), so tests look tensors up
// synchronously, before or after a backend is chosen.
const FIXTURES = await readDegradeFixtures();

/** One fixture tensor by name (throws when absent). */
export function fixture(name: string): HostTensor {
  const t = FIXTURES.get(name);
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
