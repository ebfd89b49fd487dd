export type {
  DistillationInputs,
  DistillationPairFn,
  HrBatchSource,
  ReconstructionLossArgs,
  ReconstructionLossHook,
  TrainableCodec,
  TrainableDenoiser,
  TrainingScheduler,
} from './types.js';
export type { Stage, StageName } from './stage.js';
export { contextFor, encodeCondition, encodeLatent, predictWith, toSigned, unscaleLatent, upsampleLr } from './conditioning.js';
export type { LatentMode } from './conditioning.js';
export { drawTimesteps, lossWeights, minSnrWeights, mixtureWeights, snrAt, x0Weights } from './noise.js';
export type { LossWeighting } from './noise.js';
export type { DiffusionLossOptions, DiffusionStageOptions } from './diffusion-options.js';
export { diffusionLoss, groundTruthTarget, noisedLatents, timestepTensors } from './diffusion.js';
export type { DiffusionBatch, NoisedLatents, TimestepTensors } from './diffusion.js';
export { alphaBarRoots, checkPixelWeight, decodePrediction, impliedX0, pixelLoss, pixelTermBatch, pixelTermOptions } from './pixel-term.js';
export type { AlphaBarRoots, PixelTermBatch, PixelTermOptions, PixelTermTimesteps } from './pixel-term.js';
export { checkChannelWeights, decoderChannelWeights } from './channel-weights.js';
export type { DecoderChannelWeightsOptions } from './channel-weights.js';
export { createVaeStage } from './vae-stage.js';
export type { VaeBatch, VaeStageOptions } from './vae-stage.js';
export { createSrStage } from './sr-stage.js';
export type { SrStageOptions } from './sr-stage.js';
export { createDistillStage } from './distill-stage.js';
export type { DistillStageOptions } from './distill-stage.js';
export { createDecoderStage, freezeAllBut, isDecoderParameter } from './decoder-stage.js';
export type { DecoderBatch, DecoderStageOptions } from './decoder-stage.js';
export { yonosOneStepLatent } from './one-step-latent.js';
export type { OneStepLatentArgs, OneStepLatentSource, YonosOneStepLatentOptions } from './one-step-latent.js';
export { runStage } from './run-stage.js';
export type { RunStageOptions, RunStageResult } from './run-stage.js';
