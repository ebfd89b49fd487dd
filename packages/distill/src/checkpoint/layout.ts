/** Folder-name prefix of a complete checkpoint: `checkpoint-<step, 8 digits>`. */
export const CHECKPOINT_PREFIX = 'checkpoint-';
/** Prefix of a checkpoint being written (never loaded; removed as stale when found later). */
export const TEMP_PREFIX = '.tmp-';
/** Prefix of a checkpoint being deleted (renamed first, so a half-deleted folder never looks complete). */
export const TRASH_PREFIX = '.trash-';
/** The trainer state file, written last into each checkpoint. */
export const TRAINER_STATE_FILE = 'trainer_state.json';
/** Optimizer state (see `AdamW.exportState`). */
export const OPTIMIZER_FILE = 'optimizer.safetensors';
/** EMA state (see `Ema.exportState`). */
export const EMA_FILE = 'ema.safetensors';

const CHECKPOINT_NAME = /^checkpoint-(\d+)$/;

/** The folder name of the checkpoint after `step` updates (`checkpoint-00000100`). */
export function checkpointName(step: number): string {
  return `${CHECKPOINT_PREFIX}${String(step).padStart(8, '0')}`;
}

/** The step of a checkpoint folder name, or `undefined` for any other name. */
export function parseCheckpointName(name: string): number | undefined {
  const m = CHECKPOINT_NAME.exec(name);
  if (m === null) return undefined;
  const step = Number(m[1]);
  return Number.isSafeInteger(step) ? step : undefined;
}
