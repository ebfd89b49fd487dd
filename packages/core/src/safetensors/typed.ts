import type { SafetensorsDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';

/**
 * The host-side form of a tensor's stored elements, one typed array kind per dtype:
 * `F32` Float32Array, `F64` Float64Array, `I8` Int8Array, `I16` Int16Array,
 * `U16` Uint16Array, `I32` Int32Array, `U32` Uint32Array, `I64` BigInt64Array,
 * `U64` BigUint64Array, `F16` and `BF16` Uint16Array of bit patterns, `C64` Float32Array
 * of interleaved (real, imaginary) pairs, and `BOOL`, `U8` and the 4/6/8-bit float
 * formats Uint8Array of raw bytes.
 */
export type SafetensorsTypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface TypedArrayKind {
  readonly ctor: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): SafetensorsTypedArray; readonly BYTES_PER_ELEMENT: number };
  /** Bytes swapped as one unit on a big-endian host (1 = no swap). */
  readonly wordBytes: number;
}

const KIND: Readonly<Record<SafetensorsDtype, TypedArrayKind>> = {
  BOOL: { ctor: Uint8Array, wordBytes: 1 },
  F4: { ctor: Uint8Array, wordBytes: 1 },
  F6_E2M3: { ctor: Uint8Array, wordBytes: 1 },
  F6_E3M2: { ctor: Uint8Array, wordBytes: 1 },
  U8: { ctor: Uint8Array, wordBytes: 1 },
  I8: { ctor: Int8Array, wordBytes: 1 },
  F8_E5M2: { ctor: Uint8Array, wordBytes: 1 },
  F8_E4M3: { ctor: Uint8Array, wordBytes: 1 },
  F8_E8M0: { ctor: Uint8Array, wordBytes: 1 },
  F8_E4M3FNUZ: { ctor: Uint8Array, wordBytes: 1 },
  F8_E5M2FNUZ: { ctor: Uint8Array, wordBytes: 1 },
  I16: { ctor: Int16Array, wordBytes: 2 },
  U16: { ctor: Uint16Array, wordBytes: 2 },
  F16: { ctor: Uint16Array, wordBytes: 2 },
  BF16: { ctor: Uint16Array, wordBytes: 2 },
  I32: { ctor: Int32Array, wordBytes: 4 },
  U32: { ctor: Uint32Array, wordBytes: 4 },
  F32: { ctor: Float32Array, wordBytes: 4 },
  C64: { ctor: Float32Array, wordBytes: 4 },
  F64: { ctor: Float64Array, wordBytes: 8 },
  I64: { ctor: BigInt64Array, wordBytes: 8 },
  U64: { ctor: BigUint64Array, wordBytes: 8 },
};

/** Whether this machine stores numbers little-endian (every mainstream one does). */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, wordBytes: number): void {
  for (let i = 0; i + wordBytes <= bytes.length; i += wordBytes) {
    for (let a = i, b = i + wordBytes - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}

/**
 * Views little-endian stored bytes as the typed array for `dtype`, converting to host
 * byte order in place. Takes ownership of `bytes`: pass a fresh array that nothing else
 * uses (it is copied only if it does not start at a multiple of 8 in its buffer).
 */
export function typedFromStoredBytes(dtype: SafetensorsDtype, stored: Uint8Array): SafetensorsTypedArray {
  const { ctor, wordBytes } = KIND[dtype];
  // Typed arrays need element-aligned offsets; slice() gives a new buffer at offset 0.
  const bytes = stored.byteOffset % 8 === 0 ? stored : stored.slice();
  if (!LITTLE_ENDIAN_HOST && wordBytes > 1) swapBytes(bytes, wordBytes);
  return new ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
}

/**
 * The little-endian stored bytes of `data`, checked to be the typed array kind that
 * {@link SafetensorsTypedArray} documents for `dtype`. Shares memory with `data` on
 * little-endian hosts; treat the result as read-only.
 *
 * @throws SafetensorsError if `data` is not the right kind of typed array for `dtype`.
 */
export function storedBytesFromTyped(name: string, dtype: SafetensorsDtype, data: SafetensorsTypedArray): Uint8Array {
  const { ctor, wordBytes } = KIND[dtype];
  if (!(data instanceof ctor)) {
    throw new SafetensorsError(
      `tensor "${name}": ${dtype} data must be a ${ctor.name}, got ${(data as object)?.constructor?.name ?? typeof data}; convert it first.`,
    );
  }
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || wordBytes === 1) return view;
  const copy = view.slice();
  swapBytes(copy, wordBytes);
  return copy;
}
