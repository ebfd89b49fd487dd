import * as tf from '@tensorflow/tfjs-core';
import type { Degradation } from '@yonos/core';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkScale } from './checks.js';
import { checkChannelWeights } from './channel-weights.js';
import { encodeCondition, toSigned, upsampleLr } from './conditioning.js';
import { checkTimestepOptions } from './noise.js';
import { diffusionLoss, groundTruthTarget, noisedLatents, timestepTensors } from './diffusion.js';
import type { DiffusionBatch } from './diffusion.js';
import type { DiffusionStageOptions } from './diffusion-options.js';
import { pixelTermBatch, pixelTermOptions } from './pixel-term.js';
import type { TrainableDenoiser } from './types.js';
import type { Stage } from './stage.js';

/** Options of {@link createSrStage}: the shared {@link DiffusionStageOptions} and the network and degradation. */
export interface SrStageOptions extends DiffusionStageOptions {
  /** The U-Net being trained: `inChannels = 2 * latentChannels`, `outChannels = latentChannels`. */
  readonly unet: TrainableDenoiser;
  /** Makes the LR input from the HR crop (bicubic or Real-ESRGAN, from `@yonos/degrade`). */
  readonly degradation: Degradation;
}

/**
 * Direct SR training, the baseline YONOS-SR starts from (and the x2 teacher of scale
 * distillation): per micro-batch, the HR crop is degraded to `1/scale` (`ctx.rng.fork('degrade')`),
 * upsampled back with the bicubic and encoded to `z_lr` exactly as `YonosPipeline` does at
 * inference; the HR crop is encoded to `z_0`, noised to `z_t` at uniform random timesteps, and
 * the U-Net regresses `f(concat(z_t, z_lr), t)` onto the scheduler's target (v for
 * v-prediction, `getVelocity`) with MSE, optionally min-SNR weighted, plus an optional pixel
 * term (`pixelWeight`: the decoded `x_0` estimate against the HR crop). Only the U-Net's
 * parameters are trained; the codec is evaluated outside the gradient tape.
 * @throws {@link TrainingArgumentError} for a bad scale or pixel weight.
 */
export function createSrStage(options: SrStageOptions): Stage<DiffusionBatch> {
  const { codec, unet, scheduler, data, degradation, scale, context, channelWeights } = options;
  if (channelWeights !== undefined) checkChannelWeights(channelWeights, codec.latentChannels);
  checkTimestepOptions(options);
  checkScale(scale, 1, 'direct SR');
  const mode = options.latentMode ?? 'sample';
  const pixel = pixelTermOptions(options.pixelWeight, codec, scheduler);
  const task: TrainTask<DiffusionBatch> = {
    batch: async (ctx: StepContext): Promise<DiffusionBatch> => {
      const hr = await data.batch(ctx.microBatchIndex);
      try {
        return buildSrBatch(hr, ctx);
      } finally {
        hr.dispose();
      }
    },
    loss: (batch, ctx) => diffusionLoss(unet, batch, ctx, context, channelWeights, pixel),
  };

  // One tidy scope: everything but the returned batch is freed, also when a step throws.
  function buildSrBatch(hr: tf.Tensor4D, ctx: StepContext): DiffusionBatch {
    return tf.tidy(() => {
      const [, h, w] = hr.shape;
      const lr = degradation.degrade(hr, scale, ctx.rng.fork('degrade'));
      const zlr = encodeCondition(codec, upsampleLr(lr, h, w));
      const origin = options.residual === true ? zlr : undefined;
      const latents = noisedLatents(codec, scheduler, hr, ctx.rng, mode, origin, options);
      const { timesteps, weights } = timestepTensors(scheduler, latents.t, options);
      const target = groundTruthTarget(scheduler, latents);
      const batch = { zt: latents.zt, zlr, target, timesteps, weights };
      return pixel === undefined ? batch : { ...batch, pixel: pixelTermBatch(scheduler, toSigned(hr), latents.t, options, origin) };
    });
  }

  return { name: 'sr', task, modelName: 'unet', model: unet };
}
