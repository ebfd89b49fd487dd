import { dtypeBits, isSafetensorsDtype } from './dtypes.js';
import type { SafetensorsDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';
import { scanJson } from './json-scan.js';

/** Largest header the reader accepts, in bytes (the reference implementation's limit). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** Deepest JSON nesting accepted in a header (a real header nests 3 levels). */
export const MAX_SAFETENSORS_HEADER_DEPTH = 128;

/** Size of the little-endian u64 header length that starts every safetensors file. */
export const SAFETENSORS_PREFIX_BYTES = 8;

/** Where one tensor lives in a safetensors file and how to read it. */
export interface SafetensorsTensorInfo {
  /** Element type as stored. */
  readonly dtype: SafetensorsDtype;
  /** Row-major shape exactly as stored (PyTorch layout for diffusers weights); `[]` is a scalar. */
  readonly shape: readonly number[];
  /** `[begin, end)` byte offsets relative to the start of the data section. */
  readonly dataOffsets: readonly [number, number];
}

/** A parsed, fully validated safetensors header. */
export interface SafetensorsHeader {
  /** N, the length of the JSON header in bytes (including any padding). */
  readonly headerByteLength: number;
  /** Absolute byte position of the data section in the file: `8 + N`. */
  readonly dataStart: number;
  /** Length of the data section in bytes; the tensors tile it exactly. */
  readonly dataByteLength: number;
  /** Every tensor, in data-section order (increasing offsets). */
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
  /** The `__metadata__` string map (diffusers writes `{ format: 'pt' }`), or `null` if absent. */
  readonly metadata: Readonly<Record<string, string>> | null;
}

const NOT_SAFETENSORS = 'the file is truncated, corrupt or not a safetensors file; re-download or re-export it';

/**
 * Reads and bounds-checks the header length N from the first 8 bytes of a file.
 *
 * @param prefix at least the first 8 bytes of the file.
 * @param fileByteLength total size of the file in bytes.
 * @returns N, guaranteed `<= MAX_SAFETENSORS_HEADER_BYTES` and `<= fileByteLength - 8`.
 * @throws SafetensorsError if the file is shorter than 8 bytes or N is out of bounds.
 */
export function readSafetensorsHeaderLength(prefix: Uint8Array, fileByteLength: number): number {
  if (!Number.isSafeInteger(fileByteLength) || fileByteLength < 0) {
    throw new SafetensorsError(`file size ${fileByteLength} is not a byte count; pass the file's length in bytes.`);
  }
  if (fileByteLength < SAFETENSORS_PREFIX_BYTES || prefix.byteLength < SAFETENSORS_PREFIX_BYTES) {
    const have = Math.min(fileByteLength, prefix.byteLength);
    throw new SafetensorsError(
      `safetensors data is only ${have} bytes, shorter than the 8-byte header length that starts the format: ${NOT_SAFETENSORS}.`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, SAFETENSORS_PREFIX_BYTES);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_SAFETENSORS_HEADER_BYTES) {
    const n = (BigInt(high) << 32n) | BigInt(low);
    throw new SafetensorsError(
      `safetensors header length ${n} bytes exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit: ${NOT_SAFETENSORS}.`,
    );
  }
  if (low > fileByteLength - SAFETENSORS_PREFIX_BYTES) {
    throw new SafetensorsError(
      `safetensors header length ${low} bytes runs past the end of the file (${fileByteLength} bytes in all): ${NOT_SAFETENSORS}.`,
    );
  }
  return low;
}

/**
 * Parses and validates a whole safetensors header.
 *
 * Rejects, with a {@link SafetensorsError} that names the field or tensor: a header length
 * out of bounds; JSON that is not valid UTF-8, not valid JSON, not an object, nested
 * deeper than {@link MAX_SAFETENSORS_HEADER_DEPTH} or repeating a key; `__metadata__`
 * that is not a string-to-string map; an entry without a known dtype, with a shape that is
 * not a list of non-negative integers or offsets that are not two integers; a byte span
 * that disagrees with shape x dtype size; and offsets that do not tile the data section
 * exactly from 0 to its end (overlaps, gaps, trailing bytes or a truncated file), as the
 * reference implementation requires.
 *
 * @param bytes the file's first `8 + N` bytes or more (a whole file in memory is fine).
 * @param fileByteLength total size of the file in bytes; defaults to `bytes.byteLength`.
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array | ArrayBuffer,
  fileByteLength: number = bytes.byteLength,
): SafetensorsHeader {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const n = readSafetensorsHeaderLength(u8, fileByteLength);
  const end = SAFETENSORS_PREFIX_BYTES + n;
  if (u8.byteLength < end) {
    throw new SafetensorsError(
      `parseSafetensorsHeader got ${u8.byteLength} bytes but the header ends at byte ${end}; pass at least the first ${end} bytes of the file.`,
    );
  }
  return parseHeaderJson(u8.subarray(SAFETENSORS_PREFIX_BYTES, end), fileByteLength);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parseHeaderJson(jsonBytes: Uint8Array, fileByteLength: number): SafetensorsHeader {
  const headerByteLength = jsonBytes.byteLength;
  const dataStart = SAFETENSORS_PREFIX_BYTES + headerByteLength;
  const dataByteLength = fileByteLength - dataStart;

  let text: string;
  try {
    text = utf8.decode(jsonBytes);
  } catch (cause) {
    throw new SafetensorsError(`safetensors header is not valid UTF-8: ${NOT_SAFETENSORS}.`, { cause });
  }
  const problem = scanJson(text, MAX_SAFETENSORS_HEADER_DEPTH);
  if (problem?.kind === 'too-deep') {
    throw new SafetensorsError(
      `safetensors header JSON nests deeper than ${problem.maxDepth} levels, which no tensor list needs: ${NOT_SAFETENSORS}.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new SafetensorsError(
      `safetensors header is not valid JSON (${(cause as Error).message}): ${NOT_SAFETENSORS}.`,
      { cause },
    );
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError(
      `safetensors header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}, got ${describe(parsed)}: ${NOT_SAFETENSORS}.`,
    );
  }
  if (problem?.kind === 'duplicate-key') {
    const where = problem.path === '' ? 'at the top level' : `inside "${problem.path}"`;
    throw new SafetensorsError(
      `safetensors header repeats the key "${problem.key}" ${where}; readers would disagree on which entry counts, so the file is rejected: ${NOT_SAFETENSORS}.`,
    );
  }

  let metadata: Record<string, string> | null = null;
  const entries: Array<[string, SafetensorsTensorInfo]> = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = parseMetadata(value);
    else entries.push([name, parseEntry(name, value)]);
  }

  entries.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let expected = 0;
  let previous: string | null = null;
  for (const [name, info] of entries) {
    const [begin, stop] = info.dataOffsets;
    if (stop < begin) {
      throw new SafetensorsError(
        `tensor "${name}": data_offsets [${begin}, ${stop}] end before they begin: ${NOT_SAFETENSORS}.`,
      );
    }
    if (begin < expected) {
      throw new SafetensorsError(
        `tensor "${name}": data_offsets [${begin}, ${stop}] overlap tensor "${previous}", which ends at ${expected}: ${NOT_SAFETENSORS}.`,
      );
    }
    if (begin > expected) {
      throw new SafetensorsError(
        `tensor "${name}": data_offsets start at ${begin} but the previous tensor ends at ${expected}; the format requires tensors to tile the data section without gaps: ${NOT_SAFETENSORS}.`,
      );
    }
    const needed = byteSize(name, info);
    if (stop - begin !== needed) {
      throw new SafetensorsError(
        `tensor "${name}": shape [${info.shape.join(', ')}] of ${info.dtype} needs ${needed} bytes but data_offsets [${begin}, ${stop}] span ${stop - begin}: ${NOT_SAFETENSORS}.`,
      );
    }
    expected = stop;
    previous = name;
  }
  if (expected > dataByteLength) {
    throw new SafetensorsError(
      `tensor "${previous}" ends at data byte ${expected} but the file holds only ${dataByteLength} data bytes (${fileByteLength} in all): the file is truncated; re-download or re-export it.`,
    );
  }
  if (expected < dataByteLength) {
    throw new SafetensorsError(
      `safetensors data section has ${dataByteLength - expected} trailing bytes that no tensor covers (tensors end at ${expected}, data is ${dataByteLength} bytes): ${NOT_SAFETENSORS}.`,
    );
  }
  return { headerByteLength, dataStart, dataByteLength, tensors: new Map(entries), metadata };
}

function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === null) return null;
  if (!isPlainObject(value)) {
    throw new SafetensorsError(`safetensors "__metadata__" must be an object of strings, got ${describe(value)}: ${NOT_SAFETENSORS}.`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new SafetensorsError(
        `safetensors "__metadata__" value "${key}" must be a string, got ${describe(item)}: ${NOT_SAFETENSORS}.`,
      );
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data, not a prototype.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function parseEntry(name: string, value: unknown): SafetensorsTensorInfo {
  const bad = (what: string): SafetensorsError =>
    new SafetensorsError(`tensor "${name}": ${what}: ${NOT_SAFETENSORS}.`);
  if (!isPlainObject(value)) throw bad(`entry must be an object {dtype, shape, data_offsets}, got ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) throw bad(`unknown dtype ${describe(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw bad(`shape must be a list of non-negative integers, got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw bad(`data_offsets must be two non-negative integers [begin, end], got ${describe(offsets)}`);
  }
  return { dtype, shape: shape as number[], dataOffsets: [offsets[0] as number, offsets[1] as number] };
}

function byteSize(name: string, info: SafetensorsTensorInfo): number {
  // Sequential overflow checks, like the reference's checked multiplication, so a huge
  // dimension is rejected even when a later zero would make the product small.
  let bits = dtypeBits(info.dtype);
  for (const d of info.shape) {
    bits *= d;
    if (!Number.isSafeInteger(bits)) {
      throw new SafetensorsError(
        `tensor "${name}": shape [${info.shape.join(', ')}] of ${info.dtype} is too large to address: ${NOT_SAFETENSORS}.`,
      );
    }
  }
  if (bits % 8 !== 0) {
    throw new SafetensorsError(
      `tensor "${name}": ${info.dtype} shape [${info.shape.join(', ')}] does not fill a whole number of bytes: ${NOT_SAFETENSORS}.`,
    );
  }
  return bits / 8;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A short rendering of a JSON value for messages; never stringifies a big value whole. */
function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (Array.isArray(x)) {
    const head = x.slice(0, 8).map((item) => (typeof item === 'object' && item !== null ? '...' : describe(item)));
    return `[${head.join(', ')}${x.length > 8 ? `, ... (${x.length} items)` : ''}]`;
  }
  if (typeof x === 'object' && x !== null) return 'an object';
  const text = JSON.stringify(x);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
