import { YonosError } from '@yonos/core';

/**
 * A scheduler configuration (diffusers `scheduler_config.json` keys) or schedule parameter
 * is invalid or unsupported. The message names the key and the accepted values.
 */
export class SchedulerConfigError extends YonosError {}

/**
 * A scheduler was called the wrong way: `step` before `setTimesteps`, a timestep outside
 * `[0, num_train_timesteps)`, mismatched shapes, or a noisy step without a noise source.
 * The message says which argument to change.
 */
export class SchedulerUsageError extends YonosError {}
