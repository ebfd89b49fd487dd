import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import {
  openSafetensorsUrl,
  SafetensorsError,
  SafetensorsReader,
  serializeSafetensors,
} from '../src/safetensors/index.js';
import type { SafetensorsByteSource } from '../src/safetensors/index.js';
import {
  openSafetensorsFile,
  readSafetensorsFile,
  SafetensorsFileSource,
  writeSafetensorsFile,
} from '../src/safetensors/node.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
let dir: string;

beforeAll(async () => {
  await useBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'yonos-safetensors-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Wraps a source to record every read. */
function counting(source: SafetensorsByteSource): { source: SafetensorsByteSource; reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return {
    reads,
    source: {
      byteLength: source.byteLength,
      read: (offset, length) => {
        reads.push([offset, length]);
        return source.read(offset, length);
      },
      close: () => source.close!(),
    },
  };
}

describe('Node file reading', () => {
  it('reads one tensor of a 5 GiB (sparse) file without reading the rest', async () => {
    // Larger than Node's 4 GiB Buffer limit: reading it whole is impossible, so success
    // proves the reader only touches the header and the one tensor asked for.
    const bigBytes = 5 * 2 ** 30;
    const json = `{"big":{"dtype":"F32","shape":[${bigBytes / 4}],"data_offsets":[0,${bigBytes}]},"small":{"dtype":"F32","shape":[4],"data_offsets":[${bigBytes},${bigBytes + 16}]}}`;
    const head = new TextEncoder().encode(json.padEnd(Math.ceil(json.length / 8) * 8, ' '));
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(head.length), true);
    const path = join(dir, 'sparse.safetensors');
    const small = Float32Array.from([1.5, -2, 3.25, 1e-7]);
    const fh = await open(path, 'w');
    const dataStart = 8 + head.length;
    await fh.write(prefix, 0, 8, 0);
    await fh.write(head, 0, head.length, 8);
    await fh.write(new Uint8Array(small.buffer), 0, 16, dataStart + bigBytes);
    await fh.close();

    const file = await SafetensorsFileSource.open(path);
    expect(file.byteLength).toBe(dataStart + bigBytes + 16);
    const { source, reads } = counting(file);
    const reader = await SafetensorsReader.open(source);
    expect(reader.info('big').shape).toEqual([bigBytes / 4]);
    const before = tf.memory().numTensors;
    const t = await reader.tensor('small');
    expect([...t.dataSync()]).toEqual([...small]);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await reader.close();
    expect(reads).toEqual([
      [0, 8],
      [0, dataStart],
      [dataStart + bigBytes, 16],
    ]);
    const total = reads.reduce((a, [, len]) => a + len, 0);
    console.log(`sparse file of ${file.byteLength} bytes: read ${total} bytes to get one tensor`);

    // The convenience opener works the same way.
    const r2 = await openSafetensorsFile(path);
    expect([...((await r2.readRaw('small')) as Float32Array)]).toEqual([...small]);
    await r2.close();
    await expect(r2.tensor('small')).rejects.toThrow(/closed/);
  });

  it('readSafetensorsFile reads a fixture like the in-memory reader, leak-free', async () => {
    const path = join(FIXTURES, 'diffusers/unet2d-tiny/io.safetensors');
    const before = tf.memory().numTensors;
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect(metadata).toBeNull();
    expect([...tensors.keys()].sort()).toEqual(['out', 'sample', 'timestep']);
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
    const [b] = header.sample!.data_offsets;
    expect(tensors.get('sample')!.dataSync()[5]).toBe(bytes.readFloatLE(8 + n + b + 20));
    tf.dispose([...tensors.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('wraps file-system errors and malformed files in SafetensorsError', async () => {
    await expect(openSafetensorsFile(join(dir, 'missing.safetensors'))).rejects.toThrow(/cannot open safetensors file .*missing.safetensors.*check the path/);
    await expect(openSafetensorsFile(dir)).rejects.toThrow(/not a regular file/);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0, 1, 2, 3]));
    await expect(openSafetensorsFile(bad)).rejects.toThrow(SafetensorsError);
    await expect(readSafetensorsFile(bad)).rejects.toThrow(/runs past the end of the file/);
  });

  it('fails cleanly if the file shrinks while open', async () => {
    const path = join(dir, 'shrink.safetensors');
    writeFileSync(path, await serializeSafetensors({ a: { dtype: 'F32', shape: [64], data: new Float32Array(64) } }));
    const reader = await openSafetensorsFile(path);
    writeFileSync(path, Buffer.alloc(10));
    await expect(reader.readRaw('a')).rejects.toThrow(/shrank while open/);
    await reader.close();
  });
});

describe('Node file writing', () => {
  it('writes the same bytes as serializeSafetensors and reads them back', async () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const k = tf.tensor([7, 8], [2], 'int32');
    const before = tf.memory().numTensors;
    const path = join(dir, 'round.safetensors');
    const options = { metadata: { format: 'pt' }, dtype: 'F16', intDtype: 'I64' } as const;
    await writeSafetensorsFile(path, { x, k }, options);
    expect(new Uint8Array(readFileSync(path))).toEqual(await serializeSafetensors({ x, k }, options));
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.get('x')!.dataSync()]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...tensors.get('k')!.dataSync()]).toEqual([7, 8]);
    tf.dispose([...tensors.values()]);
    expect(tf.memory().numTensors).toBe(before);
    expect(x.isDisposed).toBe(false);
    tf.dispose([x, k]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the previous file intact and no temp file when writing fails midway', async () => {
    const path = join(dir, 'atomic.safetensors');
    const good = tf.tensor([1, 2]);
    await writeSafetensorsFile(path, { good });
    const original = readFileSync(path);
    // A tensor whose data download fails after the header and earlier tensors are written.
    const failing = {
      dataId: {},
      dtype: 'float32',
      shape: [2],
      size: 2,
      isDisposed: false,
      data: () => Promise.reject(new Error('device lost')),
    } as unknown as tf.Tensor;
    const attempt = writeSafetensorsFile(path, { a_good: good, z_failing: failing });
    await expect(attempt).rejects.toThrow(SafetensorsError);
    await expect(attempt).rejects.toThrow(/device lost/);
    expect(readFileSync(path).equals(original)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(writeSafetensorsFile(join(dir, 'no/such/dir/x.safetensors'), { good })).rejects.toThrow(/check the folder exists/);
    good.dispose();
  });
});

describe('openSafetensorsUrl', () => {
  it('downloads and reads a file over HTTP, and reports HTTP errors', async () => {
    const body = readFileSync(join(FIXTURES, 'diffusers/vae-tiny/io.safetensors'));
    const server = createServer((req, res) => {
      if (req.url === '/io.safetensors') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const reader = await openSafetensorsUrl(`${base}/io.safetensors`);
      const local = await openSafetensorsFile(join(FIXTURES, 'diffusers/vae-tiny/io.safetensors'));
      expect(reader.keys()).toEqual(local.keys());
      for (const name of reader.keys()) {
        expect([...((await reader.readRaw(name)) as Float32Array)]).toEqual([...((await local.readRaw(name)) as Float32Array)]);
      }
      await local.close();
      await expect(openSafetensorsUrl(`${base}/nope.safetensors`)).rejects.toThrow(/HTTP 404/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(openSafetensorsUrl(`${base}/io.safetensors`)).rejects.toThrow(SafetensorsError);
  });
});
