import type * as tf from '@tensorflow/tfjs-core';
import { dtypeBits, dtypeRank, isSafetensorsDtype } from './dtypes.js';
import type { SafetensorsDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from './float16.js';
import { MAX_SAFETENSORS_HEADER_BYTES, SAFETENSORS_PREFIX_BYTES } from './header.js';
import { storedBytesFromTyped } from './typed.js';
import type { SafetensorsTypedArray } from './typed.js';

/**
 * A tensor given as host data in a stored dtype, for what tfjs tensors cannot express
 * (exact int64 values, U8 images, pre-encoded F16 bits...). `data` is the typed array
 * kind {@link SafetensorsTypedArray} lists for `dtype`, row-major, one element per entry
 * of `shape` (C64: two floats per element; sub-byte floats: packed bytes).
 */
export interface SafetensorsRawTensor {
  /** The dtype to store, which also says how to read `data`. */
  readonly dtype: SafetensorsDtype;
  /** Shape in the file (PyTorch order); `[]` for a scalar. */
  readonly shape: readonly number[];
  /** The elements, row-major, in the typed array kind that matches `dtype`. */
  readonly data: SafetensorsTypedArray;
}

/** Something a writer can store: a tfjs tensor or raw host data. */
export type SafetensorsWritable = tf.Tensor | SafetensorsRawTensor;

/** Tensors to write, by name (a `Map` or a plain object). */
export type SafetensorsWritableMap =
  | ReadonlyMap<string, SafetensorsWritable>
  | Readonly<Record<string, SafetensorsWritable>>;

/** How tfjs tensors are stored and what goes in `__metadata__`. */
export interface SafetensorsWriteOptions {
  /** String-to-string `__metadata__` (diffusers writes `{ format: 'pt' }`). */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Stored type of float32 tensors: `F32` (default, exact), `F16` (the diffusers "fp16
   * variant"; rounded to nearest even, |x| >= 65520 becomes infinity) or `BF16`.
   */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
  /** Stored type of int32 tensors: `I32` (default) or `I64` (what PyTorch uses for indices). */
  readonly intDtype?: 'I32' | 'I64';
}

/** One tensor of a {@link SafetensorsPlan}: its place and a way to produce its bytes. */
export interface SafetensorsPlannedTensor {
  /** Key in the header (e.g. a state-dict name such as `conv_in.weight`). */
  readonly name: string;
  /** Stored dtype, after the write options' conversions (e.g. `F16` for a float32 tensor). */
  readonly dtype: SafetensorsDtype;
  /** Shape written to the header. */
  readonly shape: readonly number[];
  /** Stored size in bytes. */
  readonly byteLength: number;
  /** The little-endian stored bytes; valid until the next call, read-only. */
  bytes(): Promise<Uint8Array>;
}

/** A validated layout of a safetensors file, ready to be written piece by piece. */
export interface SafetensorsPlan {
  /** The file's first bytes: the u64 header length and the space-padded JSON header. */
  readonly head: Uint8Array;
  /** Tensors in data-section order: sorted by dtype (widest first), then by name. */
  readonly tensors: readonly SafetensorsPlannedTensor[];
  /** Size of the whole file in bytes. */
  readonly byteLength: number;
}

const utf8 = new TextEncoder();

/**
 * Validates what is to be written and lays out the file the way the reference
 * implementation does: tensors ordered by descending dtype (so each one's data is aligned
 * to its element size), then by name in code point order; compact JSON header with
 * `__metadata__` first, padded with spaces so the data section starts at a multiple of 8.
 * Reads no tensor data yet, so a writer can stream one tensor at a time.
 *
 * @throws SafetensorsError if a name is `__metadata__` or not valid Unicode, a metadata
 *   value is not a string, a tensor is disposed or of a dtype safetensors cannot store
 *   (string, complex64), raw data does not match its dtype and shape, or the header
 *   would exceed {@link MAX_SAFETENSORS_HEADER_BYTES}.
 */
export function planSafetensors(tensors: SafetensorsWritableMap, options: SafetensorsWriteOptions = {}): SafetensorsPlan {
  const entries: Array<[string, SafetensorsWritable]> =
    tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, SafetensorsWritable>);
  const planned = entries.map(([name, value]) => planTensor(name, value, options));
  planned.sort((a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareCodePoints(a.name, b.name));

  const parts: string[] = [];
  if (options.metadata !== undefined) parts.push(`"__metadata__":${metadataJson(options.metadata)}`);
  let offset = 0;
  for (const t of planned) {
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + t.byteLength}]}`,
    );
    offset += t.byteLength;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.byteLength / 8) * 8;
  if (n > MAX_SAFETENSORS_HEADER_BYTES) {
    throw new SafetensorsError(
      `the safetensors header would be ${n} bytes, over the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit readers enforce; write fewer tensors or less metadata per file (shard it).`,
    );
  }
  const head = new Uint8Array(SAFETENSORS_PREFIX_BYTES + n).fill(0x20);
  new DataView(head.buffer).setUint32(0, n, true);
  new DataView(head.buffer).setUint32(4, 0, true);
  head.set(json, SAFETENSORS_PREFIX_BYTES);
  return { head, tensors: planned, byteLength: head.byteLength + offset };
}

/**
 * Serializes tensors to the bytes of a safetensors file, laid out as
 * {@link planSafetensors} describes. tfjs tensors are read with `await tensor.data()` and
 * not disposed: float32 is stored as `options.dtype` (F32 by default), int32 as
 * `options.intDtype` (I32 by default), bool as BOOL. Raw tensors are stored as given.
 *
 * @returns the complete file.
 * @throws SafetensorsError as {@link planSafetensors} does.
 */
export async function serializeSafetensors(
  tensors: SafetensorsWritableMap,
  options: SafetensorsWriteOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const plan = planSafetensors(tensors, options);
  const out = new Uint8Array(plan.byteLength);
  out.set(plan.head, 0);
  let offset = plan.head.byteLength;
  for (const t of plan.tensors) {
    out.set(await t.bytes(), offset);
    offset += t.byteLength;
  }
  return out;
}

function planTensor(name: string, value: SafetensorsWritable, options: SafetensorsWriteOptions): SafetensorsPlannedTensor {
  if (name === '__metadata__') {
    throw new SafetensorsError(`a tensor cannot be named "__metadata__": that key holds the file's metadata; rename the tensor.`);
  }
  if (/\p{Cs}/u.test(name)) {
    throw new SafetensorsError(`tensor name ${JSON.stringify(name)} contains a lone UTF-16 surrogate, which UTF-8 cannot store; fix the name.`);
  }
  if (isTfTensor(value)) return planTfTensor(name, value, options);
  if (typeof value !== 'object' || value === null || !isSafetensorsDtype(value.dtype)) {
    throw new SafetensorsError(
      `tensor "${name}": expected a tf.Tensor or { dtype, shape, data } with a safetensors dtype (F32, F16, I64, ...), got ${describeValue(value)}.`,
    );
  }
  return planRawTensor(name, value);
}

function planTfTensor(name: string, t: tf.Tensor, options: SafetensorsWriteOptions): SafetensorsPlannedTensor {
  const checkAlive = (): void => {
    if (t.isDisposed) {
      throw new SafetensorsError(`tensor "${name}" is disposed; write it before disposing it.`);
    }
  };
  checkAlive();
  const shape = [...t.shape];
  let dtype: SafetensorsDtype;
  let encode: (values: tf.TypedArray) => Uint8Array;
  switch (t.dtype) {
    case 'float32':
      dtype = options.dtype ?? 'F32';
      if (dtype === 'F16') encode = (v) => storedBytesFromTyped(name, 'F16', float32ToFloat16Bits(v as Float32Array));
      else if (dtype === 'BF16') encode = (v) => storedBytesFromTyped(name, 'BF16', float32ToBfloat16Bits(v as Float32Array));
      else if (dtype === 'F32') encode = (v) => storedBytesFromTyped(name, 'F32', v as Float32Array);
      else throw badOption('dtype', dtype, "'F32', 'F16' or 'BF16'");
      break;
    case 'int32':
      dtype = options.intDtype ?? 'I32';
      if (dtype === 'I64') encode = (v) => storedBytesFromTyped(name, 'I64', BigInt64Array.from(v as Int32Array, (x) => BigInt(x)));
      else if (dtype === 'I32') encode = (v) => storedBytesFromTyped(name, 'I32', v as Int32Array);
      else throw badOption('intDtype', dtype, "'I32' or 'I64'");
      break;
    case 'bool':
      dtype = 'BOOL';
      encode = (v) => storedBytesFromTyped(name, 'BOOL', v as Uint8Array);
      break;
    default:
      throw new SafetensorsError(
        `tensor "${name}" has tfjs dtype ${t.dtype}, which safetensors cannot store; cast it to float32 or int32 first.`,
      );
  }
  return {
    name,
    dtype,
    shape,
    byteLength: (t.size * dtypeBits(dtype)) / 8,
    async bytes() {
      checkAlive();
      return encode((await t.data()) as tf.TypedArray);
    },
  };
}

function planRawTensor(name: string, raw: SafetensorsRawTensor): SafetensorsPlannedTensor {
  const shape = Array.isArray(raw.shape) ? [...(raw.shape as number[])] : null;
  if (shape === null || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`tensor "${name}": shape must be a list of non-negative integers, got ${describeValue(raw.shape)}.`);
  }
  const bits = shape.reduce((acc, d) => acc * d, dtypeBits(raw.dtype));
  const stored = storedBytesFromTyped(name, raw.dtype, raw.data);
  if (bits % 8 !== 0 || stored.byteLength !== bits / 8) {
    throw new SafetensorsError(
      `tensor "${name}": ${raw.dtype} shape [${shape.join(', ')}] needs ${bits / 8} bytes but data holds ${stored.byteLength}; fix the shape or the data.`,
    );
  }
  return { name, dtype: raw.dtype, shape, byteLength: stored.byteLength, bytes: () => Promise.resolve(stored) };
}

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new SafetensorsError(`metadata must be an object of strings, got ${describeValue(metadata)}.`);
  }
  const keys = Object.keys(metadata).sort(compareCodePoints);
  const items = keys.map((key) => {
    const value: unknown = metadata[key];
    if (typeof value !== 'string' || /\p{Cs}/u.test(value) || /\p{Cs}/u.test(key)) {
      throw new SafetensorsError(
        `metadata "${key}" must be a well-formed string, got ${describeValue(value)}; safetensors metadata is string to string (use JSON.stringify for structured values).`,
      );
    }
    return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  });
  return `{${items.join(',')}}`;
}

/** Orders strings by Unicode code point, which is the UTF-8 byte order Rust sorts by. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // UTF-16 puts supplementary characters (surrogates, D800-DFFF) below E000-FFFF;
    // code point order puts them above.
    if (ca >= 0xd800 && cb >= 0xd800) {
      ca = ca >= 0xe000 ? ca - 0x800 : ca + 0x2000;
      cb = cb >= 0xe000 ? cb - 0x800 : cb + 0x2000;
    }
    return ca - cb;
  }
  return a.length - b.length;
}

function isTfTensor(value: unknown): value is tf.Tensor {
  // Duck-typed so tensors from another copy of tfjs-core are recognized too.
  return typeof value === 'object' && value !== null && typeof (value as tf.Tensor).data === 'function' && 'dataId' in value;
}

function badOption(option: string, value: string, allowed: string): SafetensorsError {
  return new SafetensorsError(`option ${option}: ${JSON.stringify(value)} is not supported; use ${allowed}.`);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return JSON.stringify(value) ?? typeof value;
}
