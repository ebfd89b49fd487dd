import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../errors.js';
import { TEMP_PREFIX, TRAINER_STATE_FILE, TRASH_PREFIX, parseCheckpointName } from './layout.js';
import { trainerStateSchema } from './trainer-state.js';
import type { TrainerStateFile } from './trainer-state.js';

/** A complete checkpoint folder. */
export interface CheckpointEntry {
  /** Optimizer updates completed. */
  readonly step: number;
  /** Absolute or `dir`-relative path of the folder, as `dir` was given. */
  readonly path: string;
}

/** Options of {@link findLatestCheckpoint}. */
export interface FindCheckpointOptions {
  /**
   * Delete leftovers of interrupted saves and prunes (`.tmp-*`, `.trash-*`) found in `dir`
   * (default `false`). Only do this when no other process is saving into `dir`.
   */
  readonly cleanStale?: boolean;
}

/**
 * Reads and validates a checkpoint's `trainer_state.json`.
 * @throws {@link CheckpointError} if it is missing, not JSON, or not a YONOS trainer state.
 */
export async function readTrainerState(checkpoint: string): Promise<TrainerStateFile> {
  const path = join(checkpoint, TRAINER_STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CheckpointError(`${checkpoint} is not a complete checkpoint: cannot read ${TRAINER_STATE_FILE} (${(cause as Error).message}).`, {
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError(`${path} is not valid JSON (${(cause as Error).message}); the checkpoint is damaged, resume from another one.`, {
      cause,
    });
  }
  const result = trainerStateSchema.safeParse(parsed);
  if (!result.success) {
    throw new CheckpointError(
      `${path} is not a YONOS trainer state: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`,
    );
  }
  return result.data;
}

/**
 * Complete checkpoints in `dir` (folders named `checkpoint-<step>` holding a valid
 * `trainer_state.json`), by increasing step. Temporary and trash folders are ignored;
 * a missing `dir` has none.
 */
export async function listCheckpoints(dir: string): Promise<CheckpointEntry[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CheckpointError(`Cannot list checkpoints in ${dir}: ${(cause as Error).message}.`, { cause });
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const step = parseCheckpointName(name);
    if (step === undefined) continue;
    const path = join(dir, name);
    const state = await readTrainerState(path).catch(() => undefined);
    if (state !== undefined && state.step === step) out.push({ step, path });
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * The complete checkpoint with the highest step in `dir`, or `undefined` if there is none.
 * Folders of interrupted saves are never returned.
 */
export async function findLatestCheckpoint(dir: string, options: FindCheckpointOptions = {}): Promise<CheckpointEntry | undefined> {
  if (options.cleanStale === true) await cleanStaleCheckpointFolders(dir);
  const all = await listCheckpoints(dir);
  return all[all.length - 1];
}

/**
 * Removes `.tmp-*` (interrupted saves) and `.trash-*` (interrupted deletions) folders in `dir`.
 * @returns The names removed.
 */
export async function cleanStaleCheckpointFolders(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.startsWith(TEMP_PREFIX) || n.startsWith(TRASH_PREFIX));
  for (const name of stale) await rm(join(dir, name), { recursive: true, force: true });
  return stale;
}
