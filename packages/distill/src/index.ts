/**
 * `@yonos/distill`: the training machinery of YONOS-SR (AdamW, clipping, LR schedules, EMA,
 * gradient accumulation, seeded random-crop batches from image folders, atomic resumable
 * checkpoints in the diffusers layout, a generic training loop, metrics logs, validation).
 * The stage trainers (VAE, direct SR, scale distillation, decoder fine-tuning) build on it.
 * Node only: data, checkpoints and logs use the file system through `@yonos/core/node`.
 * @packageDocumentation
 */
export {
  DistillError,
  TrainingArgumentError,
  TrainingDivergedError,
  NonFiniteLossError,
  NonFiniteGradientError,
  OptimizerStateError,
  CheckpointError,
  DatasetError,
  UnusableImageError,
  UnreadableImageError,
  ImageTooSmallError,
} from './errors.js';
export { namedVariables, toNamedVariables } from './named-variables.js';
export type { NamedVariables, NamedVariablesOptions } from './named-variables.js';
export * from './optim/index.js';
export * from './data/index.js';
export * from './checkpoint/index.js';
export * from './loop/index.js';
export { MetricsLog, readMetricsLog } from './metrics-log.js';
export type { MetricsLogOptions, MetricsRecord } from './metrics-log.js';
export { validateSuperResolution } from './validation.js';
export type { ValidateSrOptions, ValidatedImage, ValidationResult } from './validation.js';
export * from './stages/index.js';
export * from './config/index.js';
