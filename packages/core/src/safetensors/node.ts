import { randomUUID } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { planSafetensors } from './encode.js';
import type { SafetensorsWritableMap, SafetensorsWriteOptions } from './encode.js';
import { SafetensorsError } from './errors.js';
import type { SafetensorsContents } from './read.js';
import { SafetensorsReader } from './reader.js';
import type { SafetensorsByteSource } from './source.js';

// Node rejects single reads and writes over 2 GiB; big tensors go in pieces.
const IO_CHUNK_BYTES = 1 << 30;

/**
 * A {@link SafetensorsByteSource} over a file handle: every read is a positioned
 * `read(2)` of just the requested bytes, so a multi-gigabyte checkpoint is never loaded
 * whole. Node only.
 */
export class SafetensorsFileSource implements SafetensorsByteSource {
  private constructor(
    private readonly handle: FileHandle,
    /** Path the source was opened from, for messages. */
    readonly path: string,
    readonly byteLength: number,
  ) {}

  /**
   * Opens `path` for reading.
   * @throws SafetensorsError if the file cannot be opened or is not a regular file.
   */
  static async open(path: string): Promise<SafetensorsFileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      throw new SafetensorsError(`cannot open safetensors file ${path}: ${(cause as Error).message}; check the path and permissions.`, { cause });
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new SafetensorsError(`${path} is not a regular file; pass the path of a .safetensors file.`);
      return new SafetensorsFileSource(handle, path, stat.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Reads exactly `length` bytes at `offset` into a new array. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.byteLength) {
      throw new SafetensorsError(
        `cannot read ${length} bytes at offset ${offset} from ${this.path} (${this.byteLength} bytes); the range is outside the file.`,
      );
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(out, done, Math.min(length - done, IO_CHUNK_BYTES), offset + done));
      } catch (cause) {
        throw new SafetensorsError(`reading ${this.path} failed: ${(cause as Error).message}.`, { cause });
      }
      if (bytesRead === 0) {
        throw new SafetensorsError(
          `${this.path} ended after ${offset + done} bytes while ${offset + length} were expected: the file shrank while open; open it again.`,
        );
      }
      done += bytesRead;
    }
    return out;
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Opens a safetensors file for lazy reading: only the header is read now (two small
 * reads), each tensor's bytes when it is asked for. Close the reader when done.
 *
 * @param path path of a `.safetensors` file.
 * @throws SafetensorsError if the file cannot be opened or is malformed.
 */
export async function openSafetensorsFile(path: string): Promise<SafetensorsReader> {
  const source = await SafetensorsFileSource.open(path);
  try {
    return await SafetensorsReader.open(source);
  } catch (error) {
    await source.close();
    throw error;
  }
}

/**
 * Reads every tensor of a safetensors file into tfjs tensors (conversion as in
 * {@link SafetensorsReader.tensor}), one tensor's bytes in memory at a time. If any tensor
 * fails, those already created are disposed.
 *
 * @param path path of a `.safetensors` file.
 * @throws SafetensorsError if the file cannot be read, is malformed, or a tensor cannot
 *   become a tfjs tensor.
 */
export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  const reader = await openSafetensorsFile(path);
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const name of reader.keys()) tensors.set(name, await reader.tensor(name));
    return { tensors, metadata: reader.metadata };
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  } finally {
    await reader.close();
  }
}

/**
 * Writes tensors to a safetensors file, laid out as `planSafetensors` describes (dtype
 * options as in `serializeSafetensors`), streaming one tensor at a time. The data goes to
 * a temporary file in the same folder, is flushed to disk, then renamed over `path`, so a
 * crash or error never leaves a partial file at `path` (an existing file stays intact
 * until the new one is complete). Tensors are not disposed.
 *
 * @param path destination; its folder must exist.
 * @throws SafetensorsError if the tensors cannot be stored or the file cannot be written.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: SafetensorsWritableMap,
  options: SafetensorsWriteOptions = {},
): Promise<void> {
  const plan = planSafetensors(tensors, options);
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  let handle: FileHandle | null = null;
  try {
    handle = await open(temp, 'wx');
    let position = 0;
    position = await writeAll(handle, plan.head, position);
    for (const t of plan.tensors) position = await writeAll(handle, await t.bytes(), position);
    await handle.sync();
    await handle.close();
    handle = null;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    if (error instanceof SafetensorsError) throw error;
    throw new SafetensorsError(`writing safetensors file ${path} failed: ${(error as Error).message}; check the folder exists and is writable.`, {
      cause: error,
    });
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, Math.min(bytes.byteLength - done, IO_CHUNK_BYTES), position + done);
    done += bytesWritten;
  }
  return position + done;
}
