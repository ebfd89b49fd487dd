import { YonosError } from '@yonos/core';

/**
 * A U-Net configuration (diffusers `config.json` keys) is invalid, inconsistent, or uses an
 * option this package does not implement (class or addition embeddings, dual cross-attention,
 * Fourier time embeddings, ...). The message names the key, what it got and what is accepted.
 */
export class UnetConfigError extends YonosError {}

/**
 * A U-Net was called with inputs it cannot take: wrong rank or channel count, a timestep
 * batch that does not match the sample, a missing or mis-shaped cross-attention context, or
 * a spatial size the network cannot resample. The message says which argument to change.
 */
export class UnetInputError extends YonosError {}

/**
 * A U-Net's class labels (`forward`'s `options.classLabels`) do not fit it: missing although
 * the network is class-conditioned, given although it is not, of the wrong kind, shape, batch
 * size or dtype, or outside the class embedding table. A {@link UnetInputError}, so code that
 * catches input errors catches these too.
 */
export class UnetClassLabelError extends UnetInputError {}
