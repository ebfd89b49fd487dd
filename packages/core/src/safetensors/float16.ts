let halfTable: Float32Array | null = null;

// All 65536 half values, built once: a table lookup decodes a multi-gigabyte fp16
// checkpoint several times faster than per-element bit arithmetic.
function float16Table(): Float32Array {
  if (halfTable !== null) return halfTable;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (mant << 13);
    } else if (exp !== 0) {
      bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant === 0) {
      bits[h] = sign;
    } else {
      // Subnormal half: renormalize into float32's wider exponent range.
      let e = 113;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      bits[h] = sign | (e << 23) | ((mant & 0x3ff) << 13);
    }
  }
  halfTable = new Float32Array(bits.buffer);
  return halfTable;
}

/**
 * Decodes IEEE 754 binary16 values (as raw bit patterns) to float32, exactly: every half
 * value, subnormals, infinities and NaN included, is representable in float32.
 *
 * @param bits one binary16 bit pattern per element.
 * @returns a new array of the same length.
 */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const table = float16Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] as number] as number;
  return out;
}

/**
 * Encodes float32 values as IEEE 754 binary16 bit patterns, rounding to nearest with
 * ties to even (as PyTorch's `.half()` does): magnitudes from 65520 up become infinity,
 * tiny values become subnormals or signed zero, NaN stays NaN.
 *
 * @param values float32 values (other numbers are first rounded to float32).
 * @returns a new array of binary16 bit patterns, one per value.
 */
export function float32ToFloat16Bits(values: Float32Array | ArrayLike<number>): Uint16Array {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  const words = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
  const out = new Uint16Array(f32.length);
  for (let i = 0; i < words.length; i++) out[i] = halfFromFloatBits(words[i] as number);
  return out;
}

function halfFromFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Below 2^-25 everything rounds to zero (exactly 2^-25 ties to the even zero).
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  // A rounding carry out of the mantissa correctly bumps the exponent (up to infinity).
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

/**
 * Decodes bfloat16 bit patterns to float32 (exact: bfloat16 is float32's top half).
 *
 * @param bits one bfloat16 bit pattern per element.
 * @returns a new array of the same length.
 */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) words[i] = (bits[i] as number) << 16;
  return new Float32Array(words.buffer);
}

/**
 * Encodes float32 values as bfloat16 bit patterns, rounding to nearest with ties to even;
 * NaN stays NaN.
 *
 * @param values float32 values (other numbers are first rounded to float32).
 * @returns a new array of bfloat16 bit patterns, one per value.
 */
export function float32ToBfloat16Bits(values: Float32Array | ArrayLike<number>): Uint16Array {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  const words = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
  const out = new Uint16Array(f32.length);
  for (let i = 0; i < words.length; i++) {
    const x = words[i] as number;
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}
