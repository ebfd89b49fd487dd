/**
 * `@yonos/core`: the contracts every YONOS package composes through, and the tensor
 * utilities they share: backends that can train, images, metrics, the MATLAB bicubic,
 * safetensors, model folders and the class registry, seeded randomness. Isomorphic:
 * Node-only parts live in `@yonos/core/node`; the nn modules models are built from in
 * `@yonos/core/nn`.
 * @module \@yonos/core
 */
export { YonosError } from './errors.js';

// Contracts: what a pipeline or trainer needs of a codec, a denoiser, a scheduler, a degradation.
export type {
  Degradation,
  Denoiser,
  DenoiserClassConditioning,
  DenoiserClassLabels,
  DenoiserForwardOptions,
  DenoiserMemory,
  DenoiserMemoryOptions,
  LatentCodec,
  LatentCodecMemory,
  LatentPosterior,
  MemoryEstimateOptions,
  NoiseScheduler,
  PredictionType,
  ProgressCallback,
  ProgressEvent,
  SchedulerStepOutput,
  SpatialShape,
} from './contracts/index.js';

// The error of a state dict that does not fit a model (loading a model folder throws it). The
// module system models are built from, `Module` included, is `@yonos/core/nn`.
export { StateDictError } from './nn/index.js';

// Seeded randomness.
export { createRng, PhiloxRng, RngError } from './random/index.js';
export type { Rng, RngState } from './random/index.js';

// Backends.
export {
  BACKEND_NAMES,
  BackendUnavailableError,
  GradientRegistrationError,
  MAX_THREADS,
  ThreadCountError,
  UnknownBackendError,
  availableBackends,
  defaultBackendOrder,
  getBackendInfo,
  listBackends,
  polyfilledKernels,
  registerGradients,
  registerTrainingKernels,
  trackPeakBytes,
  trackPeakBytesAsync,
  unregisterTrainingKernels,
  useBackend,
} from './backend/index.js';
export type { BackendInfo, BackendName, BackendStatus, GpuAdapterDescription, PeakBytes, Platform, UseBackendOptions } from './backend/index.js';

// Images.
export {
  ImageDecodeError,
  ImageEncodeError,
  ImageError,
  disposeModelImage,
  fromBrowserImage,
  fromCanvas,
  fromImageBitmap,
  fromImageData,
  fromImageElement,
  fromRawImage,
  toCanvas,
  toImageBitmap,
  toImageData,
  toRawImage,
  validateRawImage,
} from './image/index.js';
export type {
  BitDepth,
  BrowserImageSource,
  ChannelCount,
  FromBrowserOptions,
  FromRawOptions,
  ImageDataLike,
  ModelImage,
  RawImage,
  ToRawOptions,
} from './image/index.js';

// Metrics (BasicSR's PSNR and SSIM) and the MATLAB bicubic.
export { MetricError, psnr, psnrHost, ssim, ssimHost } from './metrics/index.js';
export type { ChannelOrder, MetricHostImage, MetricInput, MetricOptions } from './metrics/index.js';
export { ResizeError, imresize } from './resize/index.js';
export type { ImageSize, ImresizeOptions } from './resize/index.js';

// safetensors.
export {
  MAX_SAFETENSORS_HEADER_BYTES,
  MAX_SAFETENSORS_HEADER_DEPTH,
  SafetensorsError,
  SafetensorsReader,
  byteSourceFromBlob,
  byteSourceFromBytes,
  openSafetensorsUrl,
  parseSafetensorsHeader,
  planSafetensors,
  readSafetensors,
  serializeSafetensors,
} from './safetensors/index.js';
export type {
  SafetensorsByteSource,
  SafetensorsContents,
  SafetensorsDtype,
  SafetensorsHeader,
  SafetensorsPlan,
  SafetensorsPlannedTensor,
  SafetensorsRawTensor,
  SafetensorsTensorInfo,
  SafetensorsTypedArray,
  SafetensorsWritable,
  SafetensorsWritableMap,
  SafetensorsWriteOptions,
} from './safetensors/index.js';

// Model folders (diffusers' layout) and the registry of classes they name.
export {
  ConfigMismatchError,
  DIFFUSERS_VERSION,
  PretrainedError,
  UnknownPretrainedClassError,
  UrlModelStore,
  WeightDtypeError,
  findPretrainedClassOf,
  loadPretrained,
  lookupPretrainedClass,
  openModelStore,
  openWritableModelStore,
  registerPretrainedClass,
  registeredPretrainedClasses,
  resolvePretrainedClass,
  savePretrained,
} from './pretrained/index.js';
export type {
  ConfigKeyConflict,
  ConfigMismatchDetails,
  LoadPretrainedOptions,
  ModelConfig,
  ModelLocation,
  ModelStore,
  PretrainedClass,
  PretrainedClassEntry,
  PretrainedClassKind,
  PretrainedModel,
  PretrainedModelClass,
  RegisterPretrainedClassOptions,
  ResolvePretrainedClassOptions,
  SavePretrainedOptions,
  WeightDtypeProblem,
  WritableModelStore,
} from './pretrained/index.js';
