export {
  CHECKPOINT_PREFIX,
  EMA_FILE,
  OPTIMIZER_FILE,
  TEMP_PREFIX,
  TRAINER_STATE_FILE,
  TRASH_PREFIX,
  checkpointName,
  parseCheckpointName,
} from './layout.js';
export { saveCheckpoint } from './save.js';
export type { CheckpointContents, SaveCheckpointOptions, StateExporter } from './save.js';
export { cleanStaleCheckpointFolders, findLatestCheckpoint, listCheckpoints, readTrainerState } from './find.js';
export type { CheckpointEntry, FindCheckpointOptions } from './find.js';
export { pruneCheckpoints } from './prune.js';
export { loadCheckpoint } from './load.js';
export type { CheckpointTargets, LoadedCheckpoint, StateImporter } from './load.js';
export { TRAINER_STATE_FORMAT, TRAINER_STATE_VERSION, trainerStateSchema } from './trainer-state.js';
export type { TrainerStateFile } from './trainer-state.js';
