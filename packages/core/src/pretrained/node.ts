import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsWriteOptions } from '../safetensors/encode.js';
import { openSafetensorsFile, writeSafetensorsFile } from '../safetensors/node.js';
import type { SafetensorsReader } from '../safetensors/reader.js';
import { PretrainedError } from './errors.js';
import type { WritableModelStore } from './store.js';

/** A {@link WritableModelStore} over a directory on disk. Node only. */
export class DirectoryModelStore implements WritableModelStore {
  readonly location: string;

  constructor(directory: string) {
    this.location = resolve(directory);
  }

  #path(path: string): string {
    return join(this.location, ...path.split('/'));
  }

  async exists(path: string): Promise<boolean> {
    return stat(this.#path(path)).then(
      () => true,
      () => false,
    );
  }

  async readText(path: string): Promise<string> {
    const file = this.#path(path);
    try {
      return await readFile(file, 'utf8');
    } catch (cause) {
      throw new PretrainedError(`cannot read ${file}: ${(cause as Error).message}; check that the model folder has ${path}.`, { cause });
    }
  }

  openSafetensors(path: string): Promise<SafetensorsReader> {
    return openSafetensorsFile(this.#path(path));
  }

  async writeText(path: string, text: string): Promise<void> {
    const file = this.#path(path);
    await mkdir(dirname(file), { recursive: true });
    const temp = join(dirname(file), `.${basename(file)}.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, text, { encoding: 'utf8', flush: true });
      await rename(temp, file);
    } catch (cause) {
      await unlink(temp).catch(() => undefined);
      throw new PretrainedError(`cannot write ${file}: ${(cause as Error).message}; check the folder is writable.`, { cause });
    }
  }

  async writeSafetensors(path: string, tensors: ReadonlyMap<string, tf.Tensor>, options?: SafetensorsWriteOptions): Promise<void> {
    const file = this.#path(path);
    await mkdir(dirname(file), { recursive: true });
    await writeSafetensorsFile(file, tensors, options);
  }
}

/** Opens a local directory as a model store (used by {@link openModelStore} in Node). */
export function openDirectoryStore(directory: string): DirectoryModelStore {
  return new DirectoryModelStore(directory);
}
