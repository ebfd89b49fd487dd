import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import {
  SafetensorsError,
  SafetensorsReader,
  bfloat16BitsToFloat32,
  byteSourceFromBlob,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  parseSafetensorsHeader,
  readSafetensors,
  serializeSafetensors,
} from '../src/safetensors/index.js';
import type { SafetensorsDtype, SafetensorsRawTensor, SafetensorsTypedArray } from '../src/safetensors/index.js';
import { mulberry32 } from './prng.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const enc = new TextEncoder();

/** Independent little-endian byte dump of a typed array (no shared code with the library). */
function leBytes(a: SafetensorsTypedArray): number[] {
  const out: number[] = [];
  const size = a.BYTES_PER_ELEMENT;
  const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i < a.length; i++) {
    for (let b = 0; b < size; b++) out.push(dv.getUint8(i * size + b));
  }
  return out;
}

/** Half-precision value of a bit pattern by the textbook formula. */
function halfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Nearest binary16 (ties to even) found by search over all finite halves. */
const finiteHalves = (() => {
  const list: Array<{ bits: number; v: number }> = [];
  for (let h = 0; h < 0x7c00; h++) list.push({ bits: h, v: halfValue(h) });
  return list; // ascending magnitude
})();
function referenceHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const ax = Math.abs(x);
  // 65520 is halfway between the largest half (65504) and the next step (65536): ties to inf.
  if (ax >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = finiteHalves.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((finiteHalves[mid] as { v: number }).v <= ax) lo = mid;
    else hi = mid;
  }
  const a = finiteHalves[lo] as { bits: number; v: number };
  const b = finiteHalves[hi] as { bits: number; v: number };
  let pick: { bits: number };
  if (ax - a.v < b.v - ax) pick = a;
  else if (ax - a.v > b.v - ax) pick = b;
  else pick = (a.bits & 1) === 0 ? a : b;
  if (ax === b.v) pick = b;
  return sign | pick.bits;
}

function referenceBf16(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0] as number;
  if (Number.isNaN(x)) return -1; // any NaN pattern accepted, checked separately
  const lower = bits - (bits % 65536);
  const upper = lower + 65536;
  const vLower = new Float32Array(new Uint32Array([lower]).buffer)[0] as number;
  // Rounding past the largest finite value lands on infinity, which stands for 2^128 here.
  const vUpper = (upper & 0x7fffffff) === 0x7f800000 ? Math.sign(x) * 2 ** 128 : (new Float32Array(new Uint32Array([upper]).buffer)[0] as number);
  const dl = Math.abs(x - vLower);
  const du = Math.abs(vUpper - x);
  if (dl < du) return lower / 65536;
  if (du < dl) return upper / 65536;
  return (lower / 65536) % 2 === 0 ? lower / 65536 : upper / 65536;
}

describe('float16 / bfloat16 conversion', () => {
  it('decodes every binary16 pattern like the textbook formula', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = float16BitsToFloat32(all);
    let mismatches = 0;
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      const got = f[h] as number;
      if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('encodes float32 to the nearest binary16, ties to even, like an exhaustive search', () => {
    const rand = mulberry32(1);
    const specials = [0, -0, 1, -1, 65504, 65519, 65519.99, 65520, 65536, 1e9, -1e9, 2 ** -14, 2 ** -24, 2 ** -25,
      2 ** -25 * 1.0001, 3 * 2 ** -26, 2 ** -26, 1e-10, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2049, 2051, 0.1, 1 / 3,
      Infinity, -Infinity, 6.1e-5, 6.09e-5, 2 ** -15 + 2 ** -25];
    const values: number[] = [...specials];
    for (let i = 0; i < 4000; i++) values.push((rand() - 0.5) * 2 ** (rand() * 44 - 28));
    const f32 = Float32Array.from(values);
    const got = float32ToFloat16Bits(f32);
    let mismatches = 0;
    for (let i = 0; i < f32.length; i++) if (got[i] !== referenceHalf(f32[i] as number)) mismatches++;
    expect(mismatches).toBe(0);
    const nan = float32ToFloat16Bits([NaN])[0] as number;
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
  });

  it('round-trips bfloat16 with round-to-nearest-even', () => {
    const rand = mulberry32(2);
    const values = [0, -0, 1, -1, 3.4e38, -3.4e38, 1e-40, 1 + 2 ** -8, 1 + 3 * 2 ** -8, Infinity];
    for (let i = 0; i < 4000; i++) values.push((rand() - 0.5) * 2 ** (rand() * 100 - 50));
    const f32 = Float32Array.from(values);
    const bits = float32ToBfloat16Bits(f32);
    let mismatches = 0;
    for (let i = 0; i < f32.length; i++) if (bits[i] !== referenceBf16(f32[i] as number)) mismatches++;
    expect(mismatches).toBe(0);
    const back = bfloat16BitsToFloat32(bits);
    for (let i = 0; i < f32.length; i++) {
      const x = f32[i] as number;
      // Relative error bound of round-to-nearest for normal values below the overflow point.
      if (Math.abs(x) >= 2 ** -126 && Math.abs(x) < 3.3e38) expect(Math.abs((back[i] as number) - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -8);
    }
    expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits([NaN]))[0])).toBe(true);
  });
});

describe('serializeSafetensors layout (matches the reference Rust crate)', () => {
  const header = (bytes: Uint8Array): { n: number; json: string } => {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    return { n, json: new TextDecoder().decode(bytes.subarray(8, 8 + n)) };
  };

  it('writes the exact bytes of the reference test vector', async () => {
    // The Rust crate's test_serialization: "attn.0", F32 [1,2,3] holding 0..5 -> N = 64.
    const t = tf.tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]);
    const out = await serializeSafetensors({ 'attn.0': t });
    t.dispose();
    const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(64);
    const expected = [64, 0, 0, 0, 0, 0, 0, 0, ...enc.encode(json), ...leBytes(Float32Array.from([0, 1, 2, 3, 4, 5]))];
    expect([...out]).toEqual(expected);
  });

  it('pads the header with spaces so the data starts at a multiple of 8', async () => {
    // The Rust crate's test_serialization_forced_alignement: "attn0" [1,1,2,3] -> 65 bytes + 7 spaces.
    const out = await serializeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: new Float32Array(6) } });
    const { n, json } = header(out);
    expect(n).toBe(72);
    expect(json).toBe(`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}${' '.repeat(7)}`);
    expect(out.byteLength).toBe(8 + 72 + 24);
  });

  it('writes an empty file and metadata like the reference', async () => {
    const empty = await serializeSafetensors({});
    expect([...empty]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{}      ')]);
    const meta = await serializeSafetensors(new Map(), { metadata: { framework: 'pt' } });
    expect([...meta]).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{"__metadata__":{"framework":"pt"}}     ')]);
    expect(readSafetensors(meta).metadata).toEqual({ framework: 'pt' });
    expect(readSafetensors(empty).tensors.size).toBe(0);
  });

  it('orders tensors by descending dtype (the Rust enum order), then by name', async () => {
    const raw = (dtype: SafetensorsDtype, data: SafetensorsTypedArray): SafetensorsRawTensor => ({ dtype, shape: [data.length], data });
    const out = await serializeSafetensors({
      z_bool: raw('BOOL', new Uint8Array([1, 0, 1])),
      a_f16: raw('F16', new Uint16Array(3)),
      b_f32: raw('F32', new Float32Array(1)),
      a_f32: raw('F32', new Float32Array(2)),
      m_i64: raw('I64', new BigInt64Array(1)),
      c_u8: raw('U8', new Uint8Array(5)),
      d_i32: raw('I32', new Int32Array(1)),
      e_bf16: raw('BF16', new Uint16Array(1)),
      '\u{1F600}': raw('F32', new Float32Array(1)),
      '\uFB01': raw('F32', new Float32Array(1)),
    });
    const parsed = JSON.parse(header(out).json) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const order = Object.entries(parsed)
      .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])
      .map(([k]) => k);
    // Rust sorts names by UTF-8 bytes: U+FB01 (EF AC 81) before U+1F600 (F0 9F 98 80).
    expect(order).toEqual(['m_i64', 'a_f32', 'b_f32', '\uFB01', '\u{1F600}', 'd_i32', 'e_bf16', 'a_f16', 'c_u8', 'z_bool']);
    // The JSON lists tensors in data order too, as the reference serializer does.
    expect(Object.keys(parsed)).toEqual(order);
    const itemSize: Record<string, number> = { I64: 8, F32: 4, I32: 4, BF16: 2, F16: 2, U8: 1, BOOL: 1 };
    for (const [, info] of Object.entries(parsed)) {
      // Each tensor starts aligned to its element size within the 8-aligned data section.
      expect(info.data_offsets[0] % (itemSize[info.dtype] as number)).toBe(0);
    }
    expect(() => parseSafetensorsHeader(out)).not.toThrow();
  });
});

describe('round trips', () => {
  const rand = mulberry32(3);
  const u8 = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  const cases: Array<[SafetensorsDtype, number[], SafetensorsTypedArray]> = [
    ['BOOL', [2, 3], Uint8Array.from([1, 0, 0, 1, 1, 0])],
    ['U8', [4, 2], u8(8)],
    ['I8', [5], new Int8Array(u8(5).buffer)],
    ['I16', [3], Int16Array.from([-32768, 5, 32767])],
    ['U16', [2, 2], Uint16Array.from([0, 1, 65535, 1234])],
    ['F16', [3], float32ToFloat16Bits([0.5, -2, 65504])],
    ['BF16', [2], float32ToBfloat16Bits([3.25, -1e30])],
    ['I32', [2, 2], Int32Array.from([-2147483648, 2147483647, 0, -7])],
    ['U32', [2], Uint32Array.from([4294967295, 3])],
    ['F32', [2, 1, 2], Float32Array.from([1.5, -0, Infinity, 3e-42])],
    ['C64', [2], Float32Array.from([1, 2, 3, 4])],
    ['F64', [3], Float64Array.from([Math.PI, -1e300, 5e-324])],
    ['I64', [3], BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 42n])],
    ['U64', [2], BigUint64Array.from([2n ** 64n - 1n, 0n])],
    ['F8_E4M3', [3], u8(3)],
    ['F8_E5M2', [1, 2], u8(2)],
    ['F4', [6], u8(3)],
    ['F6_E2M3', [4], u8(3)],
    ['I32', [0, 3], new Int32Array(0)],
    ['F32', [], Float32Array.from([7])],
  ];

  it('stores and reads back every dtype bit for bit (raw)', async () => {
    const tensors = Object.fromEntries(cases.map(([dtype, shape, data], i) => [`t${i}_${dtype}`, { dtype, shape, data }]));
    const bytes = await serializeSafetensors(tensors);
    const reader = SafetensorsReader.fromBytes(bytes);
    expect(new Set(reader.keys())).toEqual(new Set(Object.keys(tensors)));
    for (const [name, { dtype, shape, data }] of Object.entries(tensors)) {
      expect(reader.info(name).dtype).toBe(dtype);
      expect(reader.info(name).shape).toEqual(shape);
      const back = await reader.readRaw(name);
      expect(back.constructor).toBe(data.constructor);
      expect(leBytes(back)).toEqual(leBytes(data));
    }
  });

  it('reads through a Blob source too', async () => {
    const bytes = await serializeSafetensors({ x: { dtype: 'I16', shape: [3], data: Int16Array.from([1, -2, 3]) } });
    const reader = await SafetensorsReader.open(byteSourceFromBlob(new Blob([bytes])));
    expect([...((await reader.readRaw('x')) as Int16Array)]).toEqual([1, -2, 3]);
    await reader.close();
    await expect(reader.readRaw('x')).rejects.toThrow(/closed/);
  });

  it('converts each readable dtype to the matching tfjs tensor', async () => {
    const before = tf.memory().numTensors;
    const b = await serializeSafetensors(Object.fromEntries(cases.map(([d, s, data], i) => [`t${i}`, { dtype: d, shape: s, data }])));
    {
      const reader = SafetensorsReader.fromBytes(b);
      for (const [i, [dtype, shape, data]] of cases.entries()) {
        const name = `t${i}`;
        if (['C64', 'F8_E4M3', 'F8_E5M2', 'F4', 'F6_E2M3'].includes(dtype)) {
          await expect(reader.tensor(name)).rejects.toThrow(SafetensorsError);
          continue;
        }
        if (dtype === 'I64' || dtype === 'U64' || (dtype === 'U32' && data[0] === 4294967295)) {
          await expect(reader.tensor(name)).rejects.toThrow(/does not fit in int32.*readRaw/);
          continue;
        }
        const t = await reader.tensor(name);
        expect(t.shape).toEqual(shape);
        const got = Array.from(await t.data() as ArrayLike<number>);
        let want: number[];
        if (dtype === 'F16') want = Array.from(data as Uint16Array, halfValue);
        else if (dtype === 'BF16') want = Array.from(data as Uint16Array, (h) => new Float32Array(new Uint32Array([h * 65536]).buffer)[0] as number);
        else if (dtype === 'BOOL') want = Array.from(data as Uint8Array, (v) => (v ? 1 : 0));
        else if (dtype === 'F32' || dtype === 'F64') want = Array.from(data as ArrayLike<number>, (v) => Math.fround(v));
        else want = Array.from(data as ArrayLike<number>);
        expect(t.dtype).toBe(dtype.startsWith('F') || dtype === 'BF16' ? 'float32' : dtype === 'BOOL' ? 'bool' : 'int32');
        expect(got).toEqual(want);
        t.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('converts in-range I64/U64/U32 to int32', async () => {
    const b = await serializeSafetensors({
      i: { dtype: 'I64', shape: [4], data: BigInt64Array.from([-(2n ** 31n), 2n ** 31n - 1n, -1n, 999n]) },
      u: { dtype: 'U64', shape: [2], data: BigUint64Array.from([2n ** 31n - 1n, 0n]) },
      w: { dtype: 'U32', shape: [1], data: Uint32Array.from([2 ** 31 - 1]) },
      big: { dtype: 'I64', shape: [2], data: BigInt64Array.from([0n, 2n ** 31n]) },
      neg: { dtype: 'I64', shape: [1], data: BigInt64Array.from([-(2n ** 31n) - 1n]) },
    });
    const reader = SafetensorsReader.fromBytes(b);
    const i = await reader.tensor('i');
    const u = await reader.tensor('u');
    const w = await reader.tensor('w');
    expect([...(await i.data())]).toEqual([-(2 ** 31), 2 ** 31 - 1, -1, 999]);
    expect([...(await u.data())]).toEqual([2 ** 31 - 1, 0]);
    expect([...(await w.data())]).toEqual([2 ** 31 - 1]);
    tf.dispose([i, u, w]);
    await expect(reader.tensor('big')).rejects.toThrow(/2147483648 at flat index 1/);
    await expect(reader.tensor('neg')).rejects.toThrow(/-2147483649 at flat index 0/);
  });

  it('writes tfjs tensors as F32/F16/BF16 and I32/I64, leak-free', async () => {
    const rand2 = mulberry32(4);
    const values = Array.from({ length: 64 }, () => (rand2() - 0.5) * 10);
    const x = tf.tensor(values, [4, 16]);
    const k = tf.tensor([3, -1, 2147483647, -2147483648], [2, 2], 'int32');
    const m = tf.tensor([true, false, true], [3], 'bool');
    const before = tf.memory().numTensors;

    const f32 = readSafetensors(await serializeSafetensors({ x, k, m }, { metadata: { format: 'pt' } }));
    expect(f32.metadata).toEqual({ format: 'pt' });
    expect([...f32.tensors.get('x')!.dataSync()]).toEqual(values.map(Math.fround));
    expect([...f32.tensors.get('k')!.dataSync()]).toEqual([3, -1, 2147483647, -2147483648]);
    expect(f32.tensors.get('m')!.dtype).toBe('bool');
    expect([...f32.tensors.get('m')!.dataSync()]).toEqual([1, 0, 1]);

    const bytes16 = await serializeSafetensors({ x, k }, { dtype: 'F16', intDtype: 'I64' });
    const reader16 = SafetensorsReader.fromBytes(bytes16);
    expect(reader16.info('x').dtype).toBe('F16');
    expect(reader16.info('k').dtype).toBe('I64');
    expect([...((await reader16.readRaw('x')) as Uint16Array)]).toEqual(values.map((v) => referenceHalf(Math.fround(v))));
    expect([...((await reader16.readRaw('k')) as BigInt64Array)]).toEqual([3n, -1n, 2147483647n, -2147483648n]);
    const f16 = readSafetensors(bytes16);
    expect(f16.tensors.get('x')!.shape).toEqual([4, 16]);

    const bf = SafetensorsReader.fromBytes(await serializeSafetensors({ x }, { dtype: 'BF16' }));
    expect([...((await bf.readRaw('x')) as Uint16Array)]).toEqual(values.map((v) => referenceBf16(Math.fround(v))));

    for (const t of [...f32.tensors.values(), ...f16.tensors.values()]) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, k, m]);
  });

  it('reads copies: later edits to the buffer do not change tensors', async () => {
    const bytes = await serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) } });
    const { tensors } = readSafetensors(bytes);
    bytes.fill(0, bytes.length - 8);
    expect([...tensors.get('a')!.dataSync()]).toEqual([1, 2]);
    tf.dispose([...tensors.values()]);
  });

  it('disposes already-created tensors when a later tensor fails to convert', async () => {
    const bytes = await serializeSafetensors({
      a: { dtype: 'F32', shape: [2], data: new Float32Array(2) },
      z: { dtype: 'I64', shape: [1], data: BigInt64Array.from([2n ** 40n]) },
    });
    const before = tf.memory().numTensors;
    expect(() => readSafetensors(bytes)).toThrow(SafetensorsError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('writer and reader misuse', () => {
  it('rejects what safetensors cannot store, with SafetensorsError', async () => {
    const ok = tf.tensor([1, 2]);
    const disposed = tf.tensor([1]);
    disposed.dispose();
    const str = tf.tensor(['a', 'b']);
    const cases: Array<[unknown, RegExp, object?]> = [
      [{ __metadata__: ok }, /cannot be named "__metadata__"/],
      [{ a: disposed }, /is disposed/],
      [{ a: str }, /tfjs dtype string/],
      [{ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }, /needs 12 bytes but data holds 8/],
      [{ a: { dtype: 'F32', shape: [2], data: new Float64Array(2) } }, /must be a Float32Array/],
      [{ a: { dtype: 'I64', shape: [2], data: new Int32Array(4) } }, /must be a BigInt64Array/],
      [{ a: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }, /non-negative integers/],
      [{ a: { dtype: 'X', shape: [1], data: new Float32Array(1) } }, /expected a tf.Tensor/],
      [{ a: 3 }, /expected a tf.Tensor/],
      [{ ['\uD800']: ok }, /lone UTF-16 surrogate/],
      [{ a: ok }, /metadata "v" must be a well-formed string/, { metadata: { v: 1 } }],
      [{ a: ok }, /option dtype/, { dtype: 'F64' }],
      [{ a: tf.tensor([1], [1], 'int32') }, /option intDtype/, { intDtype: 'U8' }],
    ];
    for (const [tensors, message, options] of cases) {
      const p = serializeSafetensors(tensors as never, options as never);
      await expect(p).rejects.toThrow(SafetensorsError);
      await expect(p).rejects.toThrow(message);
    }
    tf.dispose([ok, str]);
  });

  it('names a missing tensor and lists some that exist', async () => {
    const reader = SafetensorsReader.fromBytes(await serializeSafetensors({ alpha: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } }));
    expect(() => reader.info('beta')).toThrow(/no tensor named "beta".*"alpha"/);
    expect(reader.has('alpha')).toBe(true);
    expect(reader.has('beta')).toBe(false);
  });
});
