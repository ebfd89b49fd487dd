import { YonosError } from '@yonos/core';

/** Base class of the errors `@yonos/distill` throws on purpose. */
export class DistillError extends YonosError {}

/** An option or argument is out of range (a crop size that is not a multiple of 8, a negative step...). */
export class TrainingArgumentError extends DistillError {}

/**
 * Training produced a NaN or an infinity. The run stops before the bad update touches the
 * weights, and nothing is saved after the last good checkpoint, so the run can be resumed
 * from it (with a lower learning rate, clipping, or a fixed input).
 */
export class TrainingDivergedError extends DistillError {
  /** The 0-based index of the step that failed (the weights hold `step` completed updates). */
  readonly step: number;
  /** The offending value (`NaN`, `Infinity` or `-Infinity`). */
  readonly value: number;

  constructor(message: string, step: number, value: number, options?: { cause?: unknown }) {
    super(message, options);
    this.step = step;
    this.value = value;
  }
}

/** The loss of a step is NaN or infinite. */
export class NonFiniteLossError extends TrainingDivergedError {}

/** The loss is finite but the global gradient norm is NaN or infinite. */
export class NonFiniteGradientError extends TrainingDivergedError {}

/** Saved optimizer or EMA state does not fit the variables it is loaded into. */
export class OptimizerStateError extends DistillError {}

/** A checkpoint cannot be written, found or read (missing files, corrupt `trainer_state.json`, a model it lacks). */
export class CheckpointError extends DistillError {}

/** An image folder cannot be used: it is missing, holds no usable image, or a crop does not fit. */
export class DatasetError extends DistillError {}

/** One image file cannot be used for training. Datasets skip such files and report them with this error. */
export class UnusableImageError extends DatasetError {
  /** The file. */
  readonly file: string;

  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/** An image file cannot be read or decoded (corrupt, truncated, not an image). */
export class UnreadableImageError extends UnusableImageError {}

/** An image is smaller than the crop a batch needs. */
export class ImageTooSmallError extends UnusableImageError {}
