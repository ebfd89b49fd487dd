import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { YonosError } from '@yonos/core';
import { isUrlInput } from '@yonos/queue/internal';

/**
 * A job's input URL could not be downloaded. {@link InputFetchError.retryable} is true when a
 * later attempt may succeed (a network error, a 5xx, 408 or 429 answer).
 */
export class InputFetchError extends YonosError {
  /** Whether a retry may succeed. */
  readonly retryable: boolean;

  /** @param message What failed and what to do. @param retryable Whether a retry may succeed. */
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.retryable = retryable;
  }
}

/** A job's input as a local file, and how to clean up after it. */
export interface LocalInput {
  readonly path: string;
  /** Removes the downloaded copy, if there is one. */
  dispose(): Promise<void>;
}

/**
 * The file to read for a job's input: the path itself, a `file:` URL's path, or an `http:` /
 * `https:` URL downloaded into a temporary folder (named as the URL's last path segment, so
 * messages name the image).
 * @throws {@link InputFetchError} when the download fails or the server answers with an error.
 */
export async function localInput(input: string, signal?: AbortSignal): Promise<LocalInput> {
  if (!isUrlInput(input)) return { path: input, dispose: async () => undefined };
  const url = new URL(input);
  if (url.protocol === 'file:') return { path: fileURLToPath(url), dispose: async () => undefined };
  let bytes: Uint8Array;
  try {
    const response = await fetch(url, signal !== undefined ? { signal } : {});
    if (!response.ok) {
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      throw new InputFetchError(`Cannot download '${input}': the server answered ${response.status} ${response.statusText}.${retryable ? '' : ' Check the URL.'}`, retryable);
    }
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    if (err instanceof InputFetchError || signal?.aborted === true) throw err;
    throw new InputFetchError(`Cannot download '${input}': ${err instanceof Error ? err.message : String(err)}.`, true, { cause: err });
  }
  const dir = await mkdtemp(join(tmpdir(), 'yonos-input-'));
  const path = join(dir, basename(decodeURIComponent(url.pathname)) || 'input');
  await writeFile(path, bytes);
  return { path, dispose: () => rm(dir, { recursive: true, force: true }) };
}
