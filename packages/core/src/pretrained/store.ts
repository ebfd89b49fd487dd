import type * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsReader } from '../safetensors/reader.js';
import type { SafetensorsWriteOptions } from '../safetensors/encode.js';

/**
 * Read access to a folder of model files (a diffusers model or pipeline folder), wherever
 * it lives: a directory in Node, a URL prefix in the browser, or your own implementation.
 * Paths are relative and use `/`.
 */
export interface ModelStore {
  /** Where the store points, for messages. */
  readonly location: string;
  /** Whether `path` exists. */
  exists(path: string): Promise<boolean>;
  /** The UTF-8 text of `path`. @throws PretrainedError if it cannot be read. */
  readText(path: string): Promise<string>;
  /** Opens a safetensors file for on-demand reads; the caller closes it. */
  openSafetensors(path: string): Promise<SafetensorsReader>;
}

/** A {@link ModelStore} that can also be written (a directory in Node). */
export interface WritableModelStore extends ModelStore {
  /** Writes UTF-8 text to `path` (atomically: a crash never leaves half a file), creating folders. */
  writeText(path: string, text: string): Promise<void>;
  /** Writes tensors to a safetensors file at `path` (atomically), creating folders. Tensors are not disposed. */
  writeSafetensors(path: string, tensors: ReadonlyMap<string, tf.Tensor>, options?: SafetensorsWriteOptions): Promise<void>;
}

/** Joins store-relative path pieces with `/`, ignoring empty ones. */
export function joinStorePath(...parts: Array<string | undefined>): string {
  return parts
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .join('/');
}
