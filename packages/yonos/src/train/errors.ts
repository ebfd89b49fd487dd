import { YonosError } from '@yonos/core';

/**
 * A training config is well-formed but cannot be run as written: models that do not fit
 * together, a crop the U-Net cannot take, checkpoints of another stage in `checkpoint.dir`...
 * The message names the config key and says what to change.
 */
export class TrainSetupError extends YonosError {}
