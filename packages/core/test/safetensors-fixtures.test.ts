import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { readSafetensors, SafetensorsReader } from '../src/safetensors/index.js';
import { openSafetensorsFile } from '../src/safetensors/node.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

beforeAll(async () => {
  await useBackend('cpu');
});

function findSafetensors(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findSafetensors(path);
    return entry.endsWith('.safetensors') ? [path] : [];
  });
}

interface HostTensor {
  dtype: string;
  shape: number[];
  byteLength: number;
  values: number[] | bigint[];
}

/**
 * A deliberately separate, minimal decoder (DataView + JSON.parse + textbook formulas),
 * sharing no code with the library, to check the library against.
 */
function hostDecode(bytes: Uint8Array): { tensors: Map<string, HostTensor>; metadata: unknown; dataBytes: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  const tensors = new Map<string, HostTensor>();
  let metadata: unknown = null;
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = entry;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const count = shape.reduce((a, b) => a * b, 1);
    const at = 8 + n + begin;
    const values: Array<number | bigint> = [];
    for (let i = 0; i < count; i++) {
      if (dtype === 'F32') values.push(dv.getFloat32(at + 4 * i, true));
      else if (dtype === 'I64') values.push(dv.getBigInt64(at + 8 * i, true));
      else if (dtype === 'F16') {
        const h = dv.getUint16(at + 2 * i, true);
        const e = (h >> 10) & 31;
        const m = h & 1023;
        const v = e === 0 ? m * 2 ** -24 : e === 31 ? (m ? NaN : Infinity) : (1 + m / 1024) * 2 ** (e - 15);
        values.push(h & 0x8000 ? -v : v);
      } else throw new Error(`host decoder does not handle ${dtype}`);
    }
    tensors.set(name, { dtype, shape, byteLength: end - begin, values: values as number[] | bigint[] });
  }
  return { tensors, metadata, dataBytes: bytes.byteLength - 8 - n };
}

const ITEM_SIZE: Record<string, number> = { F32: 4, F16: 2, I64: 8 };
const files = findSafetensors(FIXTURES);

describe('reference fixtures', () => {
  it('finds every expected fixture file', () => {
    const rel = files.map((f) => f.slice(FIXTURES.length)).sort();
    expect(rel).toEqual(
      [
        'basicsr/degrade.safetensors',
        'diffusers/sd-x4-upscaler-tiny/io.safetensors',
        'diffusers/sd-x4-upscaler-tiny/unet/diffusion_pytorch_model.safetensors',
        'diffusers/sd-x4-upscaler-tiny/vae/diffusion_pytorch_model.safetensors',
        'diffusers/unet-sd1-tiny/diffusion_pytorch_model.safetensors',
        'diffusers/unet-sd1-tiny/io.safetensors',
        'diffusers/unet-sd2-tiny/diffusion_pytorch_model.safetensors',
        'diffusers/unet-sd2-tiny/io.safetensors',
        'diffusers/unet2d-tiny/diffusion_pytorch_model.safetensors',
        'diffusers/unet2d-tiny/io.safetensors',
        'diffusers/vae-tiny/diffusion_pytorch_model.fp16.safetensors',
        'diffusers/vae-tiny/diffusion_pytorch_model.safetensors',
        'diffusers/vae-tiny/io.safetensors',
        'diffusers/vae-tiny-taesd/diffusion_pytorch_model.safetensors',
        'diffusers/vae-tiny-taesd/io.safetensors',
      ].sort(),
    );
  });

  for (const file of files) {
    const label = file.slice(FIXTURES.length);
    it(`reads every tensor of ${label} exactly (memory)`, () => {
      const bytes = new Uint8Array(readFileSync(file));
      const host = hostDecode(bytes);
      const before = tf.memory().numTensors;
      const { tensors, metadata } = readSafetensors(bytes);
      expect(metadata).toEqual(host.metadata);
      expect([...tensors.keys()].sort()).toEqual([...host.tensors.keys()].sort());
      let covered = 0;
      for (const [name, want] of host.tensors) {
        const t = tensors.get(name)!;
        expect(want.byteLength).toBe(want.shape.reduce((a, b) => a * b, 1) * (ITEM_SIZE[want.dtype] as number));
        covered += want.byteLength;
        expect(t.shape).toEqual(want.shape);
        expect(t.dtype).toBe(want.dtype === 'I64' ? 'int32' : 'float32');
        const got = t.dataSync();
        const expected = want.dtype === 'I64' ? (want.values as bigint[]).map(Number) : (want.values as number[]);
        let mismatches = 0;
        for (let i = 0; i < expected.length; i++) if (!Object.is(got[i], expected[i])) mismatches++;
        expect(mismatches, name).toBe(0);
      }
      expect(covered).toBe(host.dataBytes);
      tf.dispose([...tensors.values()]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it(`reads ${label} lazily from disk, raw bytes equal to the file's`, async () => {
      const bytes = new Uint8Array(readFileSync(file));
      const host = hostDecode(bytes);
      const reader = await openSafetensorsFile(file);
      try {
        expect(reader.keys().length).toBe(host.tensors.size);
        for (const name of reader.keys()) {
          const info = reader.info(name);
          const raw = await reader.readRaw(name);
          expect(raw.byteLength).toBe(host.tensors.get(name)!.byteLength);
          const start = reader.header.dataStart + info.dataOffsets[0];
          const fileBytes = bytes.subarray(start, start + raw.byteLength);
          expect(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).equals(fileBytes), name).toBe(true);
        }
      } finally {
        await reader.close();
      }
    });
  }

  it('fp16 variant of vae-tiny agrees with fp32 within half-precision rounding', async () => {
    const dir = join(FIXTURES, 'diffusers/vae-tiny');
    const r32 = SafetensorsReader.fromBytes(readFileSync(join(dir, 'diffusion_pytorch_model.safetensors')));
    const r16 = SafetensorsReader.fromBytes(readFileSync(join(dir, 'diffusion_pytorch_model.fp16.safetensors')));
    expect(r16.keys().sort()).toEqual(r32.keys().sort());
    let maxRel = 0;
    let count = 0;
    let violations = 0;
    for (const name of r32.keys()) {
      expect(r16.info(name).dtype).toBe('F16');
      expect(r16.info(name).shape).toEqual(r32.info(name).shape);
      const a = await r16.tensor(name);
      const b = await r32.tensor(name);
      const x = a.dataSync();
      const y = b.dataSync();
      for (let i = 0; i < y.length; i++) {
        const ref = y[i] as number;
        const err = Math.abs((x[i] as number) - ref);
        // Round-to-nearest binary16: at most 2^-11 relative for normal values, 2^-25
        // absolute in the subnormal range.
        if (!(err <= Math.max(2 ** -11 * Math.abs(ref), 2 ** -25))) violations++;
        if (Math.abs(ref) >= 2 ** -14) maxRel = Math.max(maxRel, err / Math.abs(ref));
        count++;
      }
      tf.dispose([a, b]);
    }
    expect(violations).toBe(0);
    expect(count).toBeGreaterThan(1000);
    expect(maxRel).toBeLessThan(1e-3);
    console.log(`vae-tiny fp16 vs fp32: ${count} values, max relative error ${maxRel.toExponential(3)} (bound 1e-3)`);
  });

  it('decodes meaningful values: BasicSR kernels sum to 1, image in [0, 1], timesteps are integers', async () => {
    const deg = readSafetensors(readFileSync(join(FIXTURES, 'basicsr/degrade.safetensors')));
    const kernels = [...deg.tensors.keys()].filter((k) => k.startsWith('kernel_'));
    expect(kernels.length).toBeGreaterThan(4);
    for (const k of kernels) {
      const sum = (deg.tensors.get(k)!.dataSync() as Float32Array).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1), k).toBeLessThan(1e-5);
    }
    const image = deg.tensors.get('image')!;
    expect(image.shape).toEqual([48, 48, 3]);
    const px = image.dataSync();
    expect(Math.min(...px)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...px)).toBeLessThanOrEqual(1);
    tf.dispose([...deg.tensors.values()]);

    const io = readSafetensors(readFileSync(join(FIXTURES, 'diffusers/unet2d-tiny/io.safetensors')));
    const ts = io.tensors.get('timestep')!;
    expect(ts.dtype).toBe('int32');
    expect(ts.shape).toEqual([2]);
    tf.dispose([...io.tensors.values()]);
  });
});
