import type * as tf from '@tensorflow/tfjs-core';
import { tensorFromTyped } from './convert.js';
import { SafetensorsError } from './errors.js';
import { parseSafetensorsHeader } from './header.js';
import { SafetensorsReader } from './reader.js';
import { typedFromStoredBytes } from './typed.js';

/** Every tensor of a safetensors file as tfjs tensors, plus its metadata. */
export interface SafetensorsContents {
  /** Tensors by name, in data-section order, in stored shapes; the caller owns and disposes them. */
  readonly tensors: Map<string, tf.Tensor>;
  /** The `__metadata__` string map, or `null` if the file has none. */
  readonly metadata: Readonly<Record<string, string>> | null;
}

/**
 * Reads a whole safetensors file held in memory into tfjs tensors (dtype conversion as
 * in {@link SafetensorsReader.tensor}). If any tensor fails, the ones already created are
 * disposed before the error propagates.
 *
 * @param bytes the complete file.
 * @throws SafetensorsError if the file is malformed or a tensor cannot become a tfjs tensor.
 */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsContents {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const header = parseSafetensorsHeader(u8);
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, info] of header.tensors) {
      const [begin, end] = info.dataOffsets;
      const stored = u8.slice(header.dataStart + begin, header.dataStart + end);
      tensors.set(name, tensorFromTyped(name, info, typedFromStoredBytes(info.dtype, stored)));
    }
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Downloads a safetensors file with `fetch` (browser, Node >= 18, workers) and opens a
 * reader on it. The whole body is downloaded into memory once; tensors are then decoded
 * on demand. For a file the user picked, prefer
 * `SafetensorsReader.open(byteSourceFromBlob(file))`, which never loads it whole.
 *
 * @param url where the `.safetensors` file is served.
 * @param init passed to `fetch` (headers, credentials, an AbortSignal...).
 * @throws SafetensorsError on a network error, a non-2xx status or a malformed file.
 */
export async function openSafetensorsUrl(url: string | URL, init?: RequestInit): Promise<SafetensorsReader> {
  const networkError = (cause: unknown): unknown =>
    // A caller's own abort is not a file problem: let the AbortError through untouched.
    init?.signal?.aborted === true
      ? cause
      : new SafetensorsError(
          `could not fetch safetensors file ${String(url)}: ${(cause as Error).message}; check the URL and the network.`,
          { cause },
        );
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SafetensorsError(
      `fetching safetensors file ${String(url)} failed with HTTP ${response.status} ${response.statusText}; check the URL and access rights.`,
    );
  }
  let body: ArrayBuffer;
  try {
    body = await response.arrayBuffer();
  } catch (cause) {
    throw networkError(cause);
  }
  return SafetensorsReader.fromBytes(body);
}
