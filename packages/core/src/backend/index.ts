/**
 * Backends that can train: start any tfjs backend with {@link useBackend}, which registers
 * tfjs-core's gradients and the kernels a backend lacks for training (through tfjs's kernel
 * registry, so model code never branches on the backend).
 */
export { BACKEND_NAMES } from './types.js';
export type {
  BackendInfo,
  BackendName,
  BackendStatus,
  GpuAdapterDescription,
  Platform,
  UseBackendOptions,
} from './types.js';
export { BackendUnavailableError, GradientRegistrationError, ThreadCountError, UnknownBackendError } from './errors.js';
export { MAX_THREADS, parseThreadCount } from './threads.js';
export { currentPlatform } from './environment.js';
export { softwareAdapterName } from './software-adapter.js';
export { availableBackends, defaultBackendOrder, getBackendInfo, listBackends, useBackend } from './use-backend.js';
export { registerGradients } from './gradients.js';
export {
  nativeKernel,
  polyfilledKernels,
  registerTrainingKernels,
  unregisterTrainingKernels,
} from './kernels/training-kernels.js';
export { conv2dFilterGradViaConv } from './kernels/conv2d-backprop-filter.js';
export { conv2dInputGradViaConv } from './kernels/conv2d-backprop-input.js';
export { depthwiseFilterGradViaConv, depthwiseInputGradViaConv } from './kernels/depthwise-backprop.js';
export type { ConvPad, DimRoundingMode, ExplicitPadding } from './kernels/tensor-args.js';
export { convFlops, measureConvThroughput } from './throughput.js';
export type { ConvBenchShape, ConvThroughput } from './throughput.js';
export { trackPeakBytes, trackPeakBytesAsync } from './peak-bytes.js';
export type { PeakBytes } from './peak-bytes.js';
