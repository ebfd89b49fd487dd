/**
 * Reading and writing the safetensors format (the diffusers / Hugging Face weight format):
 * an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the raw little-endian row-major data. Isomorphic; Node file access is in
 * `@yonos/core/node` (`openSafetensorsFile`, `readSafetensorsFile`, `writeSafetensorsFile`).
 * @module
 */
export { SafetensorsError } from './errors.js';
export { isSafetensorsDtype } from './dtypes.js';
export type { SafetensorsDtype } from './dtypes.js';
export {
  MAX_SAFETENSORS_HEADER_BYTES,
  MAX_SAFETENSORS_HEADER_DEPTH,
  parseSafetensorsHeader,
  readSafetensorsHeaderLength,
} from './header.js';
export type { SafetensorsHeader, SafetensorsTensorInfo } from './header.js';
export type { SafetensorsTypedArray } from './typed.js';
export { byteSourceFromBlob, byteSourceFromBytes } from './source.js';
export type { SafetensorsByteSource } from './source.js';
export { SafetensorsReader } from './reader.js';
export { openSafetensorsUrl, readSafetensors } from './read.js';
export type { SafetensorsContents } from './read.js';
export { planSafetensors, serializeSafetensors } from './encode.js';
export type {
  SafetensorsPlan,
  SafetensorsPlannedTensor,
  SafetensorsRawTensor,
  SafetensorsWritable,
  SafetensorsWritableMap,
  SafetensorsWriteOptions,
} from './encode.js';
export {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from './float16.js';
