/**
 * A small NHWC nn layer whose parameter names equal diffusers' PyTorch state-dict names: a
 * parameter's name is its attribute path (`down_blocks.0.resnets.0.conv1.weight`), so a
 * diffusers checkpoint loads by walking the module tree. Modules are built shape-only and get
 * values from `initialize(rng)` or `loadStateDict(dict)`.
 * @module \@yonos/core/nn
 */
export { StateDictError, UninitializedParameterError, NnArgumentError, MissingRngError } from './errors.js';
export type { ShapeMismatch } from './errors.js';
export { torchShapeOf, nativeShapeOf, nativeToTorch, torchToNative } from './layout.js';
export type { LayoutKind, StateDictLayout } from './layout.js';
export { uniformInit, normalInit, zerosInit, onesInit, torchDefaultBound } from './init.js';
export type { Initializer } from './init.js';
export { Parameter } from './parameter.js';
export type { ParameterOptions } from './parameter.js';
export { Module } from './module.js';
export type { InitializeOptions } from './module.js';
export { ModuleList } from './module-list.js';
export { checkStateDictShapes } from './state-dict.js';
export type { StateDictInput, LoadStateDictOptions } from './state-dict.js';
export { silu, gelu, mish, getActivation } from './activations.js';
export type { ActivationFn, ActivationName, GeluApproximation } from './activations.js';
export { Linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { Conv2d } from './conv.js';
export type { Conv2dOptions, Conv2dPadding } from './conv.js';
export { GroupNorm } from './group-norm.js';
export type { GroupNormOptions } from './group-norm.js';
export { LayerNorm } from './layer-norm.js';
export type { LayerNormOptions } from './layer-norm.js';
export { Dropout } from './dropout.js';
export { GELU, GEGLU, ApproximateGELU } from './gated.js';
export type { GELUOptions } from './gated.js';
export { Attention } from './attention.js';
export { multiHeadAttention } from './attention-math.js';
export type { AttentionOptions } from './attention.js';
export { Upsample2D, Downsample2D } from './sampling.js';
export type { Upsample2DOptions, Downsample2DOptions } from './sampling.js';
export { ResnetBlock2D } from './resnet.js';
export type { ResnetBlock2DOptions } from './resnet.js';
export { UNetMidBlock2D } from './unet-mid-block-2d.js';
export type { UNetMidBlock2DOptions } from './unet-mid-block-2d.js';
export { DiagonalGaussianDistribution, LOGVAR_MAX, LOGVAR_MIN } from './diagonal-gaussian.js';
export { getTimestepEmbedding, Timesteps, TimestepEmbedding } from './embeddings.js';
export type { TimestepEmbeddingOptions, TimestepEmbeddingModuleOptions, TimestepsInput } from './embeddings.js';
export {
  MemoryTally,
  activationMemory,
  attentionMemory,
  conv2dMemory,
  conv2dOutputSize,
  downsample2DMemory,
  groupNormMemory,
  layerNormMemory,
  linearMemory,
  resnetBlock2DMemory,
  tensorMemory,
  unetMidBlock2DMemory,
  upsample2DMemory,
} from './memory.js';
export type { MemoryCost } from './memory.js';
