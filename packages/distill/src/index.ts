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

// Optimization.
export {
  AdamW,
  DEFAULT_CHUNK_ELEMENTS,
  Ema,
  GradientAccumulator,
  clipFactor,
  clipGradNorm,
  constantLr,
  cosineLr,
  createLrSchedule,
  emaDecay,
  globalGradNorm,
  linearLr,
} from './optim/index.js';
export type {
  AccumulatedGradients,
  AdamWHyperparameters,
  AdamWOptions,
  AdamWStepOptions,
  ClippedGradients,
  EmaOptions,
  FlatStorageOptions,
  GradientMap,
  LrSchedule,
  LrScheduleName,
  LrScheduleOptions,
} from './optim/index.js';

// Data: seeded random crops from image folders.
export { IMAGE_EXTENSIONS, ImageFolder, RandomCropBatches, SampleOrder, listImageFiles } from './data/index.js';
export type {
  AugmentOptions,
  CropParams,
  CropSample,
  ImageFolderOptions,
  ListImagesOptions,
  LoadedCropSample,
  RandomCropOptions,
} from './data/index.js';

// Checkpoints: atomic, resumable, in the diffusers layout.
export {
  findLatestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  pruneCheckpoints,
  readTrainerState,
  saveCheckpoint,
  TRAINER_STATE_FORMAT,
  TRAINER_STATE_VERSION,
  trainerStateSchema,
} from './checkpoint/index.js';
export type {
  CheckpointContents,
  CheckpointEntry,
  CheckpointTargets,
  FindCheckpointOptions,
  LoadedCheckpoint,
  SaveCheckpointOptions,
  StateExporter,
  StateImporter,
  TrainerStateFile,
} from './checkpoint/index.js';

// The training loop, its progress bar, metrics log and validation.
export { createProgressBar, runTrainStep, trainLoop } from './loop/index.js';
export type {
  ProgressBarOptions,
  ProgressStream,
  StepContext,
  TrainLoopOptions,
  TrainLoopResult,
  TrainStepOptions,
  TrainStepResult,
  TrainTask,
  ValidationContext,
} from './loop/index.js';
export { MetricsLog, readMetricsLog } from './metrics-log.js';
export type { MetricsLogOptions, MetricsRecord } from './metrics-log.js';
export { validateSuperResolution } from './validation.js';
export type { ValidateSrOptions, ValidatedImage, ValidationResult } from './validation.js';

// The stages of YONOS-SR training.
export {
  createDecoderStage,
  createDistillStage,
  createSrStage,
  createVaeStage,
  decoderChannelWeights,
  isDecoderParameter,
  runStage,
  yonosOneStepLatent,
} from './stages/index.js';
export type {
  DecoderBatch,
  DecoderChannelWeightsOptions,
  DecoderStageOptions,
  DiffusionBatch,
  DiffusionLossOptions,
  DiffusionStageOptions,
  DistillStageOptions,
  DistillationInputs,
  DistillationPairFn,
  HrBatchSource,
  LatentMode,
  LossWeighting,
  OneStepLatentArgs,
  OneStepLatentSource,
  PixelTermBatch,
  ReconstructionLossArgs,
  ReconstructionLossHook,
  RunStageOptions,
  RunStageResult,
  SrStageOptions,
  Stage,
  StageName,
  TrainableCodec,
  TrainableDenoiser,
  TrainingScheduler,
  VaeBatch,
  VaeStageOptions,
  YonosOneStepLatentOptions,
} from './stages/index.js';

// Training configs (`yonos train <stage> config.json`), checked with zod.
export {
  STAGE_CONFIG_SCHEMAS,
  TRAIN_STAGES,
  TrainingConfigError,
  UPSCALER_SCHEDULES,
  checkpointSchema,
  dataSchema,
  decoderConfigSchema,
  degradationSchema,
  diffusionLossOptions,
  diffusionLossSchema,
  distillConfigSchema,
  distillLinkSchema,
  emaSchema,
  modelSourceSchema,
  optimizerSchema,
  parseTrainConfig,
  readTrainConfig,
  residualSchema,
  scaleSchema,
  srConfigSchema,
  teacherSchema,
  upscalerRunSchema,
  upscalerSourceSchema,
  vaeConfigSchema,
  validationSchema,
} from './config/index.js';
export type {
  DecoderTrainConfig,
  DegradationConfig,
  DiffusionLossConfig,
  DistillTrainConfig,
  ModelSource,
  ParseTrainConfigOptions,
  SrTrainConfig,
  TrainConfigs,
  TrainStageName,
  UpscalerRunConfig,
  UpscalerSchedule,
  UpscalerSource,
  VaeTrainConfig,
} from './config/index.js';
