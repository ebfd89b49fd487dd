import { SafetensorsError } from './errors.js';

/**
 * Random access to the bytes of a safetensors file, so a reader can parse the header
 * with one small read and fetch each tensor's bytes only when asked. Implementations:
 * {@link byteSourceFromBytes} (memory), {@link byteSourceFromBlob} (browser `File`/`Blob`),
 * and in Node `SafetensorsFileSource` from `@yonos/core/node` (a file handle).
 */
export interface SafetensorsByteSource {
  /** Total size of the file in bytes. */
  readonly byteLength: number;
  /**
   * Reads exactly `length` bytes starting at `offset`.
   * @returns a new array the caller owns (not shared with the source or other reads).
   * @throws SafetensorsError if fewer bytes are available.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the underlying resource (file handle); later reads fail. */
  close?(): Promise<void>;
}

function checkRange(source: SafetensorsByteSource, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.byteLength) {
    throw new SafetensorsError(
      `cannot read ${length} bytes at offset ${offset} from a ${source.byteLength}-byte source: the range is outside the data; the file is truncated or changed while open.`,
    );
  }
}

/**
 * A byte source over bytes already in memory. Reads copy, so tensors created from them
 * never alias (and later edits to) `bytes`.
 *
 * @param bytes the whole safetensors file.
 */
export function byteSourceFromBytes(bytes: Uint8Array | ArrayBuffer): SafetensorsByteSource {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const source: SafetensorsByteSource = {
    byteLength: u8.byteLength,
    read(offset, length) {
      try {
        checkRange(source, offset, length);
        return Promise.resolve(u8.slice(offset, offset + length));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
  return source;
}

/**
 * A byte source over a `Blob` or `File` (a file the user picked in a browser, or
 * `fs.openAsBlob` in Node): each read slices only the bytes it needs, so a multi-gigabyte
 * checkpoint is never loaded whole.
 */
export function byteSourceFromBlob(blob: Blob): SafetensorsByteSource {
  const source: SafetensorsByteSource = {
    byteLength: blob.size,
    async read(offset, length) {
      checkRange(source, offset, length);
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (bytes.byteLength !== length) {
        throw new SafetensorsError(
          `read ${bytes.byteLength} of ${length} bytes at offset ${offset} from a Blob: the file changed while open; open it again.`,
        );
      }
      return bytes;
    },
  };
  return source;
}
