import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError } from './errors.js';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from './float16.js';
import type { SafetensorsTensorInfo } from './header.js';
import { LITTLE_ENDIAN_HOST } from './typed.js';
import type { SafetensorsTypedArray } from './typed.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Turns one tensor's host data (as {@link typedFromStoredBytes} returns it) into a tfjs
 * tensor the caller owns. Floats become float32 (F16/BF16 exactly, F64 rounded to
 * float32); integers become int32 (I64/U64/U32 only when every value fits, since tfjs has
 * no 64-bit or unsigned integers); BOOL becomes bool.
 *
 * @throws SafetensorsError for dtypes tfjs cannot hold (F8, F4, F6, C64) or integers out
 *   of int32 range; the message points to `readRaw`.
 */
export function tensorFromTyped(name: string, info: SafetensorsTensorInfo, data: SafetensorsTypedArray): tf.Tensor {
  const shape = [...info.shape];
  switch (info.dtype) {
    case 'F32':
      return tf.tensor(data as Float32Array, shape, 'float32');
    case 'F16':
      return tf.tensor(float16BitsToFloat32(data as Uint16Array), shape, 'float32');
    case 'BF16':
      return tf.tensor(bfloat16BitsToFloat32(data as Uint16Array), shape, 'float32');
    case 'F64':
      return tf.tensor(Float32Array.from(data as Float64Array), shape, 'float32');
    case 'I32':
      return tf.tensor(data as Int32Array, shape, 'int32');
    case 'I8':
    case 'U8':
    case 'I16':
    case 'U16':
      return tf.tensor(Int32Array.from(data as Int8Array), shape, 'int32');
    case 'U32':
      return tf.tensor(int32FromWide(name, info.dtype, data), shape, 'int32');
    case 'I64':
    case 'U64':
      return tf.tensor(int32FromWide(name, info.dtype, data), shape, 'int32');
    case 'BOOL': {
      const bytes = data as Uint8Array;
      const bools = new Uint8Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) bools[i] = bytes[i] === 0 ? 0 : 1;
      return tf.tensor(bools, shape, 'bool');
    }
    default:
      throw new SafetensorsError(
        `tensor "${name}": tfjs has no ${info.dtype} type; read its raw stored values with SafetensorsReader.readRaw() and convert them yourself.`,
      );
  }
}

function int32FromWide(name: string, dtype: string, data: SafetensorsTypedArray): Int32Array {
  const n = data.length;
  const out = new Int32Array(n);
  if (data instanceof Uint32Array) {
    for (let i = 0; i < n; i++) {
      const v = data[i] as number;
      if (v > INT32_MAX) throw outOfRange(name, dtype, String(v), i);
      out[i] = v;
    }
    return out;
  }
  if (LITTLE_ENDIAN_HOST && data instanceof BigInt64Array) {
    // A 64-bit value fits in int32 exactly when its high word is the sign extension of
    // its low word; checking words avoids creating a BigInt per element.
    const words = new Int32Array(data.buffer, data.byteOffset, n * 2);
    for (let i = 0; i < n; i++) {
      const lo = words[2 * i] as number;
      if (words[2 * i + 1] !== lo >> 31) throw outOfRange(name, dtype, String(data[i]), i);
      out[i] = lo;
    }
    return out;
  }
  const wide = data as BigInt64Array | BigUint64Array;
  for (let i = 0; i < n; i++) {
    const v = wide[i] as bigint;
    if (v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX)) throw outOfRange(name, dtype, String(v), i);
    out[i] = Number(v);
  }
  return out;
}

function outOfRange(name: string, dtype: string, value: string, index: number): SafetensorsError {
  return new SafetensorsError(
    `tensor "${name}": ${dtype} value ${value} at flat index ${index} does not fit in int32, and tfjs has no 64-bit or unsigned integers; read it with SafetensorsReader.readRaw(), which returns a ${dtype === 'U32' ? 'Uint32Array' : dtype === 'I64' ? 'BigInt64Array' : 'BigUint64Array'}.`,
  );
}
