import type * as tf from '@tensorflow/tfjs-core';
import { tensorFromTyped } from './convert.js';
import { SafetensorsError } from './errors.js';
import { parseSafetensorsHeader, readSafetensorsHeaderLength, SAFETENSORS_PREFIX_BYTES } from './header.js';
import type { SafetensorsHeader, SafetensorsTensorInfo } from './header.js';
import { byteSourceFromBytes } from './source.js';
import type { SafetensorsByteSource } from './source.js';
import { typedFromStoredBytes } from './typed.js';
import type { SafetensorsTypedArray } from './typed.js';

/**
 * Lazy access to the tensors of one safetensors file: the header is parsed and validated
 * up front, and each tensor's bytes are read from the source only when asked for.
 *
 * ```ts
 * const reader = await openSafetensorsFile('vae/diffusion_pytorch_model.safetensors'); // Node
 * const w = await reader.tensor('decoder.conv_in.weight'); // [out, in, kh, kw], float32
 * await reader.close();
 * ```
 */
export class SafetensorsReader {
  private closed = false;

  private constructor(
    /** The validated header: every tensor's dtype, shape and offsets, and the metadata. */
    readonly header: SafetensorsHeader,
    private readonly source: SafetensorsByteSource,
  ) {}

  /**
   * A reader over a whole file already in memory (an `ArrayBuffer` from `fetch`, a Node
   * `Buffer`). Tensors read from it are copies and do not keep `bytes` alive.
   * @throws SafetensorsError if the file is malformed (see {@link parseSafetensorsHeader}).
   */
  static fromBytes(bytes: Uint8Array | ArrayBuffer): SafetensorsReader {
    return new SafetensorsReader(parseSafetensorsHeader(bytes), byteSourceFromBytes(bytes));
  }

  /**
   * Opens a reader on a random-access source: reads the 8-byte header length, then the
   * header itself, and nothing else. The reader owns `source` from then on and closes it
   * in {@link SafetensorsReader.close}; if opening fails the source is left open for the
   * caller to close.
   * @throws SafetensorsError if the file is malformed (see {@link parseSafetensorsHeader}).
   */
  static async open(source: SafetensorsByteSource): Promise<SafetensorsReader> {
    const size = source.byteLength;
    const prefix = await source.read(0, Math.min(SAFETENSORS_PREFIX_BYTES, size));
    const n = readSafetensorsHeaderLength(prefix, size);
    const head = await source.read(0, SAFETENSORS_PREFIX_BYTES + n);
    return new SafetensorsReader(parseSafetensorsHeader(head, size), source);
  }

  /** The `__metadata__` string map (diffusers writes `{ format: 'pt' }`), or `null`. */
  get metadata(): Readonly<Record<string, string>> | null {
    return this.header.metadata;
  }

  /** Every tensor name, in data-section order. */
  keys(): string[] {
    return [...this.header.tensors.keys()];
  }

  /** Whether the file holds a tensor called `name`. */
  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /**
   * Stored dtype, shape (as stored: PyTorch layouts for diffusers weights) and offsets of
   * tensor `name`.
   * @throws SafetensorsError if there is no such tensor.
   */
  info(name: string): SafetensorsTensorInfo {
    const info = this.header.tensors.get(name);
    if (info === undefined) {
      const keys = this.keys();
      const sample = keys.slice(0, 5).map((k) => `"${k}"`).join(', ');
      throw new SafetensorsError(
        `no tensor named "${name}" in this safetensors file (it has ${keys.length}${keys.length > 0 ? `: ${sample}${keys.length > 5 ? ', ...' : ''}` : ''}); check the name with keys().`,
      );
    }
    return info;
  }

  /**
   * Reads tensor `name`'s stored values without conversion, as the typed array kind that
   * {@link SafetensorsTypedArray} lists for its dtype (for example a BigInt64Array for
   * I64, a Uint16Array of bit patterns for F16). Row-major, in the stored shape.
   * @returns a new array the caller owns.
   */
  async readRaw(name: string): Promise<SafetensorsTypedArray> {
    const info = this.info(name);
    if (this.closed) {
      throw new SafetensorsError(`cannot read tensor "${name}": this SafetensorsReader is closed; open the file again.`);
    }
    const [begin, end] = info.dataOffsets;
    const bytes = await this.source.read(this.header.dataStart + begin, end - begin);
    return typedFromStoredBytes(info.dtype, bytes);
  }

  /**
   * Reads tensor `name` as a tfjs tensor on the current backend, in the stored shape:
   * F32/F16/BF16/F64 as float32, integers as int32 (64-bit and U32 only when every value
   * fits), BOOL as bool. The caller owns (and must dispose) the result.
   * @throws SafetensorsError if the tensor is missing, its dtype has no tfjs counterpart
   *   (F8, F4, F6, C64: use {@link SafetensorsReader.readRaw}) or an integer does not fit
   *   in int32.
   */
  async tensor(name: string): Promise<tf.Tensor> {
    const data = await this.readRaw(name);
    return tensorFromTyped(name, this.info(name), data);
  }

  /** Releases the source (closes the file handle); reading afterwards throws. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close?.();
  }
}
