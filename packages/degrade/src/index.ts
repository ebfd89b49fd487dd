/**
 * `@yonos/degrade`: BasicSR-exact image degradations as batched TensorFlow.js ops (NHWC,
 * float32 in [0, 1]): MATLAB bicubic, blur kernels, filtering, USM sharpening, noise, JPEG.
 * @packageDocumentation
 */
export { DegradeError } from './errors.js';

// The project's MATLAB bicubic lives in core (the sampler needs it too); re-exported here
// because making LR images is a degradation.
export { imresize, ResizeError } from '@yonos/core';
export type { ImageSize, ImresizeOptions } from '@yonos/core';

export { kernelToTensor, stackKernels } from './kernels/kernel.js';
export type { BlurKernel } from './kernels/kernel.js';
export { bivariateGaussian, bivariateGeneralizedGaussian, bivariatePlateau } from './kernels/bivariate.js';
export type { BivariateParams } from './kernels/bivariate.js';
export { besselJ1 } from './kernels/bessel.js';
export { circularLowpassKernel } from './kernels/sinc.js';
export { MIXED_KERNEL_TYPES, randomBlurKernel, randomFinalSincKernel, randomMixedKernels } from './kernels/random.js';
export type { BlurKernelOptions, FinalSincOptions, MixedKernelOptions, MixedKernelType, ValueRange, SampledKernel } from './kernels/random.js';

export { filter2D } from './filter/filter2d.js';
export { usmSharp } from './filter/usm-sharp.js';
export type { UsmSharpOptions } from './filter/usm-sharp.js';

export { diffJpeg } from './jpeg/diff-jpeg.js';
export type { DiffJpegOptions, JpegQuality } from './jpeg/diff-jpeg.js';
export { qualityToFactor } from './jpeg/tables.js';

export { addGaussianNoise, randomAddGaussianNoise } from './noise/gaussian.js';
export type { GaussianNoiseOptions, RandomGaussianNoiseOptions } from './noise/gaussian.js';
export { addPoissonNoise, randomAddPoissonNoise } from './noise/poisson.js';
export type { PoissonNoiseOptions, RandomPoissonNoiseOptions } from './noise/poisson.js';
export type { NoiseOutputOptions } from './noise/output.js';

export { interpolate } from './resize/interpolate.js';
export type { InterpolateOptions } from './resize/interpolate.js';
export type { TorchResizeMode } from './resize/torch-weights.js';

export { RealESRGANDegradation } from './pipeline/realesrgan.js';
export { REALESRGAN_DEFAULTS } from './pipeline/realesrgan-options.js';
export type { RealESRGANOptions, ResizeProb, ResolvedRealESRGANOptions } from './pipeline/realesrgan-options.js';
export { BicubicDegradation } from './pipeline/bicubic.js';
export type { BicubicDegradationOptions } from './pipeline/bicubic.js';

export { ShapeStableRng } from './pairs/shape-stable-rng.js';
export { degradeWithSharedDraws } from './pairs/shared-draws.js';
export { makeDistillationPair } from './pairs/distillation-pair.js';
export type { DistillationPair } from './pairs/distillation-pair.js';
