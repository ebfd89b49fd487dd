import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { savePretrained } from '@yonos/core';
import type { PretrainedModel, RngState } from '@yonos/core';
import { writeSafetensorsFile } from '@yonos/core/node';
import { CheckpointError } from '../errors.js';
import { fsyncDirectory, removeTree } from './fs-utils.js';
import { EMA_FILE, OPTIMIZER_FILE, TEMP_PREFIX, TRAINER_STATE_FILE, checkpointName } from './layout.js';
import { pruneCheckpoints } from './prune.js';
import { TRAINER_STATE_FORMAT, TRAINER_STATE_VERSION } from './trainer-state.js';
import type { TrainerStateFile } from './trainer-state.js';

/** Anything whose state goes into a checkpoint as tensors (`AdamW`, `Ema`, or your own). */
export interface StateExporter {
  /** The state as new tensors (the checkpoint writer disposes them). */
  exportState(): Map<string, tf.Tensor>;
}

/** What {@link saveCheckpoint} writes. */
export interface CheckpointContents {
  /** Optimizer updates completed. */
  readonly step: number;
  /** Models to save, each into `<name>/` in the diffusers layout (`config.json` + `diffusion_pytorch_model.safetensors`). */
  readonly models: Readonly<Record<string, PretrainedModel>>;
  /** Optimizer state (`optimizer.safetensors`); its `hyperparameters`, if any, go into `trainer_state.json`. */
  readonly optimizer?: StateExporter & {
    /** JSON-serializable hyperparameters (e.g. `AdamW.hyperparameters`), recorded for inspection. */
    readonly hyperparameters?: object;
  };
  /** EMA state (`ema.safetensors`); its `options`, if any, go into `trainer_state.json`. */
  readonly ema?: StateExporter & {
    /** JSON-serializable EMA settings (e.g. `Ema.options`), recorded for inspection. */
    readonly options?: object;
  };
  /** The run generator's position. */
  readonly rngState?: RngState;
  /** JSON-serializable data returned on load (configs, counters...). */
  readonly extra?: unknown;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Keep only this many checkpoints (highest steps, plus the new one), deleted after the new one is complete. Default: keep all. */
  readonly keepLast?: number;
}

const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Writes a checkpoint as `<dir>/checkpoint-<step>/`: each model via core's `savePretrained`
 * into `<name>/` (diffusers layout, float32), `optimizer.safetensors`, `ema.safetensors` and
 * last `trainer_state.json`. Everything goes to a `.tmp-...` folder first, is flushed to disk,
 * then becomes visible by one rename; so a crash or SIGKILL at any moment leaves either the
 * previous set of checkpoints or the new complete one. Older checkpoints are pruned only
 * after that. A checkpoint already at the same step is replaced.
 * @returns The new checkpoint's path.
 * @throws {@link CheckpointError} for an invalid step, model name or `keepLast`, or a write failure
 *   (the temporary folder is removed; existing checkpoints are untouched).
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents, options: SaveCheckpointOptions = {}): Promise<string> {
  const { step } = contents;
  if (!Number.isSafeInteger(step) || step < 0) throw new CheckpointError(`saveCheckpoint: step must be a non-negative integer, got ${step}.`);
  const keepLast = options.keepLast;
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 1)) {
    throw new CheckpointError(`saveCheckpoint: keepLast must be a positive integer, got ${keepLast}.`);
  }
  for (const name of Object.keys(contents.models)) {
    if (!MODEL_NAME.test(name)) {
      throw new CheckpointError(`saveCheckpoint: model name '${name}' cannot be a folder name; use letters, digits, '_', '-' or '.'.`);
    }
  }

  await mkdir(dir, { recursive: true });
  const name = checkpointName(step);
  const final = join(dir, name);
  const temp = join(dir, `${TEMP_PREFIX}${name}-${randomUUID()}`);
  try {
    await mkdir(temp);
    const state = await writeContents(temp, contents);
    await writeFile(join(temp, TRAINER_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { encoding: 'utf8', flush: true });
    for (const model of Object.keys(contents.models)) await fsyncDirectory(join(temp, model));
    await fsyncDirectory(temp);
    if (await exists(final)) await removeTree(final);
    await rename(temp, final);
    await fsyncDirectory(dir);
  } catch (cause) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError(`Writing checkpoint ${final} failed: ${(cause as Error).message}; check free space and permissions.`, {
      cause,
    });
  }
  if (keepLast !== undefined) await pruneCheckpoints(dir, keepLast, { keep: [step] });
  return final;
}

async function writeContents(temp: string, contents: CheckpointContents): Promise<TrainerStateFile> {
  const models: TrainerStateFile['models'] = {};
  for (const [name, model] of Object.entries(contents.models)) {
    await savePretrained(model, temp, { subfolder: name });
    const className = (model.constructor as { className?: unknown }).className;
    models[name] = { subfolder: name, class_name: String(className) };
  }
  if (contents.optimizer !== undefined) await writeState(join(temp, OPTIMIZER_FILE), contents.optimizer, 'optimizer');
  if (contents.ema !== undefined) await writeState(join(temp, EMA_FILE), contents.ema, 'ema');
  return {
    format: TRAINER_STATE_FORMAT,
    version: TRAINER_STATE_VERSION,
    step: contents.step,
    rng_state: contents.rngState === undefined ? null : { seed: contents.rngState.seed, counter: contents.rngState.counter },
    models,
    optimizer:
      contents.optimizer === undefined ? null : { file: OPTIMIZER_FILE, hyperparameters: plain(contents.optimizer.hyperparameters) },
    ema: contents.ema === undefined ? null : { file: EMA_FILE, options: plain(contents.ema.options) },
    extra: contents.extra === undefined ? null : JSON.parse(JSON.stringify(contents.extra)),
    created_at: new Date().toISOString(),
  };
}

async function writeState(path: string, source: StateExporter, kind: string): Promise<void> {
  const tensors = source.exportState();
  try {
    await writeSafetensorsFile(path, tensors, { metadata: { format: `yonos-${kind}` } });
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

function plain(value: object | undefined): Record<string, unknown> {
  return value === undefined ? {} : (JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
