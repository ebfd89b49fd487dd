import * as tf from '@tensorflow/tfjs-core';
import type { Degradation, LatentCodec } from '@yonos/core';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkScale } from './checks.js';
import { checkChannelWeights } from './channel-weights.js';
import { encodeCondition, upsampleLr } from './conditioning.js';
import type { LatentMode } from './conditioning.js';
import { checkTimestepWeighting } from './noise.js';
import type { LossWeighting } from './noise.js';
import { diffusionLoss, groundTruthTarget, noisedLatents, timestepTensors } from './diffusion.js';
import type { DiffusionBatch } from './diffusion.js';
import type { HrBatchSource, TrainableDenoiser, TrainingScheduler } from './types.js';
import type { Stage } from './stage.js';

/** Options of {@link createSrStage}. */
export interface SrStageOptions {
  /** The frozen latent codec (its weights never change here). */
  readonly codec: LatentCodec;
  /** The U-Net being trained: `inChannels = 2 * latentChannels`, `outChannels = latentChannels`. */
  readonly unet: TrainableDenoiser;
  /** Noise schedule and prediction type (v-prediction for YONOS). */
  readonly scheduler: TrainingScheduler;
  /** HR crops, NHWC float32 in `[0, 1]`; sides divisible by `scale` and by the latent grid. */
  readonly data: HrBatchSource;
  /** Makes the LR input from the HR crop (bicubic or Real-ESRGAN, from `@yonos/degrade`). */
  readonly degradation: Degradation;
  /** The upscaling factor trained for (2, 4, 8...). */
  readonly scale: number;
  /** Min-SNR-gamma weighting (5 is usual); default none (plain MSE). */
  readonly snrGamma?: number;
  /** Measure the MSE on the prediction (default) or on the implied `x_0` (`'x0'`, see `x0Weights`); `'x0'` excludes `snrGamma`. */
  readonly weighting?: LossWeighting;
  /** Residual diffusion (`YonosPipeline`'s `residual`): the U-Net learns `z_0 - z_lr` instead of `z_0`. Default `false`. */
  readonly residual?: boolean;
  /** Train on timesteps in `[first, last]` only (default all): `[T-1, T-1]` trains just what one-step inference uses. */
  readonly timestepRange?: readonly [number, number];
  /** Share of items trained on the range's last timestep, the rest uniform (default 0; see `drawTimesteps`). */
  readonly lastTimestepShare?: number;
  /** Per-latent-channel loss weights (`decoderChannelWeights` makes the loss track pixel error); default all 1. */
  readonly channelWeights?: readonly number[];
  /** How `z_0` comes from the HR posterior (default `'sample'`, as diffusers trains). */
  readonly latentMode?: LatentMode;
  /** Cross-attention context `[1 or N, L, D]`; default the pipeline's null context (zeros `[N, 1, D]`). Not disposed. */
  readonly context?: tf.Tensor3D;
}

/**
 * Direct SR training, the baseline YONOS-SR starts from (and the x2 teacher of scale
 * distillation): per micro-batch, the HR crop is degraded to `1/scale` (`ctx.rng.fork('degrade')`),
 * upsampled back with the bicubic and encoded to `z_lr` exactly as `YonosPipeline` does at
 * inference; the HR crop is encoded to `z_0`, noised to `z_t` at uniform random timesteps, and
 * the U-Net regresses `f(concat(z_t, z_lr), t)` onto the scheduler's target (v for
 * v-prediction, `getVelocity`) with MSE, optionally min-SNR weighted. Only the U-Net's
 * parameters are trained; the codec is evaluated outside the gradient tape.
 * @throws {@link TrainingArgumentError} for a bad scale.
 */
export function createSrStage(options: SrStageOptions): Stage<DiffusionBatch> {
  const { codec, unet, scheduler, data, degradation, scale, snrGamma, context, channelWeights, weighting } = options;
  if (channelWeights !== undefined) checkChannelWeights(channelWeights, codec.latentChannels);
  checkTimestepWeighting(snrGamma, weighting);
  checkScale(scale, 1, 'direct SR');
  const mode = options.latentMode ?? 'sample';
  const task: TrainTask<DiffusionBatch> = {
    batch: async (ctx: StepContext): Promise<DiffusionBatch> => {
      const hr = await data.batch(ctx.microBatchIndex);
      try {
        return buildSrBatch(hr, ctx);
      } finally {
        hr.dispose();
      }
    },
    loss: (batch, ctx) => diffusionLoss(unet, batch, ctx, context, channelWeights),
  };

  // One tidy scope: everything but the returned batch is freed, also when a step throws.
  function buildSrBatch(hr: tf.Tensor4D, ctx: StepContext): DiffusionBatch {
    return tf.tidy(() => {
      const [, h, w] = hr.shape;
      const lr = degradation.degrade(hr, scale, ctx.rng.fork('degrade'));
      const zlr = encodeCondition(codec, upsampleLr(lr, h, w));
      const latents = noisedLatents(codec, scheduler, hr, ctx.rng, mode, options.residual === true ? zlr : undefined, options.timestepRange, options.lastTimestepShare);
      const { timesteps, weights } = timestepTensors(scheduler, latents.t, snrGamma, weighting);
      const target = groundTruthTarget(scheduler, latents);
      return { zt: latents.zt, zlr, target, timesteps, weights };
    });
  }

  return { name: 'sr', task, modelName: 'unet', model: unet };
}
