/**
 * Every element type the reference safetensors implementation (the Rust crate) knows,
 * spelled as in the header's `dtype` field. The header parser accepts all of them, so a
 * file that holds, say, an F8 tensor still opens; converting such a tensor to a tfjs
 * tensor is what fails (see {@link SafetensorsReader.tensor}).
 */
export type SafetensorsDtype =
  | 'BOOL'
  | 'F4'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'F8_E8M0'
  | 'F8_E4M3FNUZ'
  | 'F8_E5M2FNUZ'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'C64'
  | 'F64'
  | 'I64'
  | 'U64';

// Declaration order is the Rust enum's order: writers sort tensors by it (descending),
// then by name, so that each tensor's data is aligned to its element size.
const DTYPE_BITS: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

const DTYPE_RANK: ReadonlyMap<string, number> = new Map(
  Object.keys(DTYPE_BITS).map((name, index) => [name, index]),
);

/** Whether `name` is a dtype the safetensors format defines. */
export function isSafetensorsDtype(name: unknown): name is SafetensorsDtype {
  return typeof name === 'string' && DTYPE_RANK.has(name);
}

/** Bits per element of `dtype` (4 and 6 for the sub-byte float formats, else 8..64). */
export function dtypeBits(dtype: SafetensorsDtype): number {
  return DTYPE_BITS[dtype];
}

/** Position of `dtype` in the reference implementation's enum (its sort key). */
export function dtypeRank(dtype: SafetensorsDtype): number {
  return DTYPE_RANK.get(dtype) as number;
}
