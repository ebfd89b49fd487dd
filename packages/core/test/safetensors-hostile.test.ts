import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import {
  byteSourceFromBytes,
  parseSafetensorsHeader,
  readSafetensors,
  SafetensorsError,
  SafetensorsReader,
  serializeSafetensors,
} from '../src/safetensors/index.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const enc = new TextEncoder();

/** A file from a header given as text or bytes, its declared length, and data bytes. */
function file(header: string | Uint8Array, dataBytes = 0, declaredLength?: bigint): Uint8Array {
  const json = typeof header === 'string' ? enc.encode(header) : header;
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

const f32 = (name: string, shape: number[], begin: number, end: number): string =>
  `${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

/** Expects both the in-memory and the byte-source paths to reject `bytes` with SafetensorsError matching `message`. */
async function expectRejected(bytes: Uint8Array, message: RegExp): Promise<void> {
  let error: unknown = null;
  try {
    parseSafetensorsHeader(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SafetensorsError);
  expect((error as Error).message).toMatch(message);
  expect(() => readSafetensors(bytes)).toThrow(SafetensorsError);
  await expect(SafetensorsReader.open(byteSourceFromBytes(bytes))).rejects.toThrow(message);
}

describe('hostile or malformed safetensors are rejected with SafetensorsError', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty input', new Uint8Array(0), /only 0 bytes.*8-byte header length/],
    ['7 bytes', new Uint8Array(7), /only 7 bytes/],
    ['header length 2^63', file('{}', 0, 2n ** 63n), /9223372036854775808 bytes exceeds the 100000000-byte limit/],
    ['header length 100 MB + 1', file('{}', 0, 100_000_001n), /exceeds the 100000000-byte limit/],
    ['header length past end of file', file('{}', 0, 64n), /header length 64 bytes runs past the end of the file \(10 bytes/],
    ['invalid UTF-8', file(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), /not valid UTF-8/],
    ['overlong UTF-8 encoding', file(new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])), /not valid UTF-8/],
    ['UTF-8 byte order mark', file(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), /not valid JSON/],
    ['truncated JSON', file('{"a":{"dtype":"F32"'), /not valid JSON/],
    ['garbage', file('hello world'), /not valid JSON/],
    ['JSON array', file('[]'), /must be a JSON object/],
    ['JSON null', file('null'), /must be a JSON object.*got null/],
    ['JSON string', file('"x"'), /must be a JSON object/],
    ['JSON number', file('12'), /must be a JSON object/],
    ['entry not an object', file('{"a":1}'), /tensor "a": entry must be an object/],
    ['entry is an array', file('{"a":[1,2]}'), /tensor "a": entry must be an object/],
    ['unknown dtype', file('{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', 4), /tensor "a": unknown dtype "F33"/],
    ['lowercase dtype', file('{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', 4), /unknown dtype "f32"/],
    ['missing dtype', file('{"a":{"shape":[1],"data_offsets":[0,4]}}', 4), /unknown dtype nothing/],
    ['dtype not a string', file('{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', 4), /unknown dtype 4/],
    ['negative dimension', file('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4), /shape must be a list of non-negative integers, got \[-1\]/],
    ['fractional dimension', file('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,6]}}', 6), /shape must be/],
    ['dimension beyond 2^53', file('{"a":{"dtype":"F32","shape":[1e20],"data_offsets":[0,4]}}', 4), /shape must be/],
    ['shape not a list', file('{"a":{"dtype":"F32","shape":3,"data_offsets":[0,12]}}', 12), /shape must be/],
    ['missing shape', file('{"a":{"dtype":"F32","data_offsets":[0,4]}}', 4), /shape must be.*got nothing/],
    ['negative offset', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', 4), /data_offsets must be two non-negative integers/],
    ['one offset', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}', 4), /data_offsets must be two/],
    ['three offsets', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', 4), /data_offsets must be two/],
    ['string offsets', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}', 4), /data_offsets must be two/],
    ['end before begin', file(`{${f32('a', [0], 4, 0)}}`, 4), /tensor "a": data_offsets \[4, 0\] end before they begin/],
    ['overlapping tensors', file(`{${f32('a', [2], 0, 8)},${f32('b', [2], 4, 12)}}`, 12), /tensor "b": data_offsets \[4, 12\] overlap tensor "a"/],
    ['same range twice', file(`{${f32('a', [2], 0, 8)},${f32('b', [2], 0, 8)}}`, 8), /overlap tensor/],
    ['gap between tensors', file(`{${f32('a', [1], 0, 4)},${f32('b', [1], 8, 12)}}`, 12), /tensor "b": data_offsets start at 8 but the previous tensor ends at 4.*without gaps/],
    ['data not starting at 0', file(`{${f32('a', [1], 4, 8)}}`, 8), /start at 4 but the previous tensor ends at 0/],
    ['offsets past the data', file(`{${f32('a', [4], 0, 16)}}`, 8), /tensor "a" ends at data byte 16 but the file holds only 8 data bytes.*truncated/],
    ['wrong byte count', file(`{${f32('a', [2], 0, 4)}}`, 4), /tensor "a": shape \[2\] of F32 needs 8 bytes but data_offsets \[0, 4\] span 4/],
    ['wrong byte count, scalar', file(`{${f32('s', [], 0, 8)}}`, 8), /shape \[\] of F32 needs 4 bytes/],
    ['shape product overflows', file('{"a":{"dtype":"F32","shape":[1099511627776,1099511627776,0],"data_offsets":[0,0]}}'), /too large to address/],
    ['sub-byte dtype, odd count', file('{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}', 1), /does not fill a whole number of bytes/],
    ['trailing bytes', file(`{${f32('a', [1], 0, 4)}}`, 12), /8 trailing bytes that no tensor covers/],
    ['trailing bytes, no tensors', file('{}', 3), /3 trailing bytes/],
    ['duplicate tensor name', file(`{${f32('a', [1], 0, 4)},${f32('a', [1], 4, 8)}}`, 8), /repeats the key "a" at the top level/],
    ['duplicate name via escape', file(`{${f32('ab', [1], 0, 4)},"a\\u0062":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), /repeats the key "ab"/],
    ['duplicate field in an entry', file('{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}', 4), /repeats the key "dtype" inside "a"/],
    ['duplicate __metadata__', file('{"__metadata__":{},"__metadata__":{"x":"y"}}'), /repeats the key "__metadata__"/],
    ['duplicate metadata key', file('{"__metadata__":{"k":"1","k":"2"}}'), /repeats the key "k" inside "__metadata__"/],
    ['metadata value not a string', file('{"__metadata__":{"format":1}}'), /"__metadata__" value "format" must be a string, got 1/],
    ['metadata not an object', file('{"__metadata__":["pt"]}'), /"__metadata__" must be an object of strings/],
    ['metadata nested object', file('{"__metadata__":{"a":{"b":"c"}}}'), /value "a" must be a string, got an object/],
    ['deep nesting', file(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), /nests deeper than 128 levels/],
    ['deep nesting, unbalanced', file('['.repeat(1_000_000)), /nests deeper than 128 levels/],
  ];
  for (const [label, bytes, message] of cases) {
    it(label, async () => {
      await expectRejected(bytes, message);
    });
  }

  it('accepts what the reference accepts: null metadata, unknown entry fields, zero-size tensors', () => {
    const ok = file(
      `{"__metadata__":null,"e":{"dtype":"I64","shape":[0,5],"data_offsets":[0,0],"extra":[1]},${f32('a', [1], 0, 4)}}    `,
      4,
    );
    const header = parseSafetensorsHeader(ok);
    expect(header.metadata).toBeNull();
    expect([...header.tensors.keys()]).toEqual(['e', 'a']);
    const { tensors } = readSafetensors(ok);
    expect(tensors.get('e')!.shape).toEqual([0, 5]);
    tf.dispose([...tensors.values()]);
  });

  it('keeps a tensor named "__proto__" as data, not a prototype', () => {
    const ok = file(`{"__metadata__":{"__proto__":"x"},${f32('__proto__', [1], 0, 4)}}`, 4);
    const { tensors, metadata } = readSafetensors(ok);
    expect(tensors.has('__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    tf.dispose([...tensors.values()]);
  });
});

describe('truncation and random corruption', () => {
  async function sample(): Promise<Uint8Array> {
    return serializeSafetensors(
      {
        'conv.weight': { dtype: 'F32', shape: [2, 1, 2, 2], data: Float32Array.from({ length: 8 }, (_, i) => i / 3) },
        step: { dtype: 'I64', shape: [2], data: BigInt64Array.from([5n, 7n]) },
        half: { dtype: 'F16', shape: [3], data: Uint16Array.from([0x3c00, 0xc000, 0x7bff]) },
      },
      { metadata: { format: 'pt' } },
    );
  }

  it('rejects the file cut at every possible length', async () => {
    const bytes = await sample();
    expect(() => parseSafetensorsHeader(bytes)).not.toThrow();
    for (let len = 0; len < bytes.length; len++) {
      expect(() => parseSafetensorsHeader(bytes.subarray(0, len)), `cut at ${len}`).toThrow(SafetensorsError);
    }
  });

  it('never fails with anything but SafetensorsError on 3000 random corruptions, and never leaks', async () => {
    const bytes = await sample();
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    let state = 0x9e3779b9;
    const next = (k: number): number => {
      // xorshift32: a fixed, reproducible corruption schedule.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % k;
    };
    const before = tf.memory().numTensors;
    let accepted = 0;
    let rejected = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const copy = bytes.slice();
      const edits = 1 + next(3);
      for (let e = 0; e < edits; e++) {
        // Mostly hit the header, where the structure lives.
        const at = next(4) === 0 ? next(copy.length) : next(8 + n);
        const kind = next(3);
        copy[at] = kind === 0 ? copy[at]! ^ (1 << next(8)) : kind === 1 ? next(256) : '{}[]",:0123456789-.e"\\ '.charCodeAt(next(24));
      }
      const cut = next(10) === 0 ? copy.subarray(0, next(copy.length + 1)) : copy;
      try {
        const { tensors } = readSafetensors(cut);
        tf.dispose([...tensors.values()]);
        accepted++;
      } catch (error) {
        if (!(error instanceof SafetensorsError)) throw new Error(`trial ${trial}: ${String(error)}`);
        rejected++;
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(rejected).toBeGreaterThan(1000);
    console.log(`random corruption: ${accepted} accepted (edits that kept it valid), ${rejected} rejected with SafetensorsError`);
  });
});
