import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CONFIG_NAME, loadWeights, weightsFileName } from '@yonos/core/internal';
import type { Rng, RngState } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import { openSafetensorsFile, readSafetensorsFile } from '@yonos/core/node';
import { readFile } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import { readTrainerState } from './find.js';
import type { TrainerStateFile } from './trainer-state.js';

/** Anything whose state a checkpoint restores (`AdamW`, `Ema`, or your own). */
export interface StateImporter {
  /** Replaces the state with the given tensors (copied; the loader disposes them afterwards). */
  importState(state: ReadonlyMap<string, tf.Tensor>): Promise<void>;
}

/** Where {@link loadCheckpoint} puts what it reads. Everything is optional. */
export interface CheckpointTargets {
  /** Models (already built with the same config) whose weights are replaced, by checkpoint name. */
  readonly models?: Readonly<Record<string, Module>>;
  /** Receives `optimizer.safetensors`. */
  readonly optimizer?: StateImporter;
  /** Receives `ema.safetensors`. */
  readonly ema?: StateImporter;
  /** Moved to the saved generator position. */
  readonly rng?: Rng;
}

/** What a checkpoint says about the run, returned by {@link loadCheckpoint}. */
export interface LoadedCheckpoint {
  /** The checkpoint folder. */
  readonly path: string;
  /** Optimizer updates completed: the next step to run. */
  readonly step: number;
  /** The saved generator position, if any. */
  readonly rngState: RngState | undefined;
  /** The `extra` data given when saving (`null` if none). */
  readonly extra: unknown;
  /** The whole `trainer_state.json`. */
  readonly state: TrainerStateFile;
}

/**
 * Restores a checkpoint written by `saveCheckpoint` into existing objects: model weights
 * (streamed, checked by name and shape first), optimizer and EMA state, the generator.
 * Float32 values come back bit for bit.
 * @throws {@link CheckpointError} if the checkpoint is incomplete or lacks something a target asks for,
 *   or a model's class differs from the saved one.
 * @throws `StateDictError` / `OptimizerStateError` if saved tensors do not fit the targets.
 */
export async function loadCheckpoint(path: string, targets: CheckpointTargets = {}): Promise<LoadedCheckpoint> {
  const state = await readTrainerState(path);
  for (const [name, model] of Object.entries(targets.models ?? {})) {
    const entry = state.models[name];
    if (entry === undefined) {
      throw new CheckpointError(
        `Checkpoint ${path} has no model '${name}' (it has: ${Object.keys(state.models).join(', ') || 'none'}); pass the names used when saving.`,
      );
    }
    await checkClass(path, entry.subfolder, model);
    const reader = await openSafetensorsFile(join(path, entry.subfolder, weightsFileName()));
    try {
      await loadWeights(model, reader, { strict: true });
    } finally {
      await reader.close();
    }
  }
  if (targets.optimizer !== undefined) await importFile(path, state.optimizer?.file, 'optimizer', targets.optimizer);
  if (targets.ema !== undefined) await importFile(path, state.ema?.file, 'EMA', targets.ema);
  const rngState = state.rng_state ?? undefined;
  if (targets.rng !== undefined) {
    if (rngState === undefined) throw new CheckpointError(`Checkpoint ${path} saved no generator state; do not pass { rng } to restore.`);
    targets.rng.setState(rngState);
  }
  return { path, step: state.step, rngState, extra: state.extra ?? null, state };
}

async function checkClass(path: string, subfolder: string, model: Module): Promise<void> {
  const className = (model.constructor as { className?: unknown }).className;
  if (typeof className !== 'string') return;
  const configPath = join(path, subfolder, CONFIG_NAME);
  let saved: unknown;
  try {
    saved = (JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>)['_class_name'];
  } catch (cause) {
    throw new CheckpointError(`Checkpoint model ${configPath} cannot be read (${(cause as Error).message}); the checkpoint is damaged.`, { cause });
  }
  if (saved !== undefined && saved !== className) {
    throw new CheckpointError(`Checkpoint ${path}/${subfolder} holds a ${String(saved)}, not a ${className}; pass a model of the saved class.`);
  }
}

async function importFile(path: string, file: string | undefined, what: string, target: StateImporter): Promise<void> {
  if (file === undefined) throw new CheckpointError(`Checkpoint ${path} has no ${what} state; start it fresh instead of loading it.`);
  const { tensors } = await readSafetensorsFile(join(path, file));
  try {
    await target.importState(tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
