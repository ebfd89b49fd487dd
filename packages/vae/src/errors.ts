import { YonosError } from '@yonos/core';

/**
 * An `AutoencoderKL` config is invalid: a key has the wrong type, lists disagree in length,
 * a block type is not supported, or channels do not divide into groups. The message names
 * every problem and the key to fix.
 */
export class VaeConfigError extends YonosError {}

/**
 * A tensor given to the VAE has the wrong rank, channel count or dtype, or a call lacks what
 * it needs (for example a generator to sample the posterior). The message says what is
 * expected.
 */
export class VaeInputError extends YonosError {}
