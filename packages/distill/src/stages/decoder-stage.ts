import * as tf from '@tensorflow/tfjs-core';
import type { Degradation, Denoiser, Module } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkScale, checkWeight } from './checks.js';
import { contextFor, encodeCondition, predictWith, toSigned, unscaleLatent, upsampleLr } from './conditioning.js';
import type { HrBatchSource, ReconstructionLossHook, TrainableCodec, TrainingScheduler } from './types.js';
import type { Stage } from './stage.js';

/** Default choice of the parameters decoder fine-tuning trains: the decode half of an `AutoencoderKL`. */
export function isDecoderParameter(name: string): boolean {
  return name.startsWith('decoder.') || name.startsWith('post_quant_conv.');
}

/** Options of {@link createDecoderStage}. */
export interface DecoderStageOptions {
  /** The codec whose decoder is fine-tuned; its other parameters are frozen by this call. */
  readonly codec: TrainableCodec;
  /** The frozen (distilled) U-Net. */
  readonly unet: Denoiser;
  /** The scheduler the U-Net samples with (DDIM, v-prediction, `trailing` spacing: one step from t = T - 1). */
  readonly scheduler: TrainingScheduler;
  /** HR crops, NHWC float32 in `[0, 1]`. */
  readonly data: HrBatchSource;
  /** Makes the LR input from the HR crop. */
  readonly degradation: Degradation;
  /** The upscaling factor of the U-Net. */
  readonly scale: number;
  /** Weight of the L1 term (default 1). */
  readonly l1Weight?: number;
  /** An extra term on (reconstruction, HR), e.g. a perceptual loss. */
  readonly extraLoss?: ReconstructionLossHook;
  /** Which codec parameters are trained (default {@link isDecoderParameter}: `decoder.*` and `post_quant_conv.*`). */
  readonly trainParameter?: (name: string) => boolean;
  /** Cross-attention context of the U-Net; default the null context. Not disposed. */
  readonly context?: tf.Tensor3D;
  /** The U-Net was trained for residual diffusion (`YonosPipeline`'s `residual`): `z_lr` is added to its one-step result. Default `false`. */
  readonly residual?: boolean;
}

/** One micro-batch of decoder fine-tuning. */
export type DecoderBatch = {
  /** The one-step latent to decode (`z_0 / scalingFactor + shiftFactor`): NHWC `[N, h, w, C]`. */
  readonly latent: tf.Tensor4D;
  /** The HR crop in `[-1, 1]`: NHWC `[N, H, W, 3]`. */
  readonly target: tf.Tensor4D;
};

/**
 * Marks only the parameters `trainParameter` selects as trainable (the rest of the codec is
 * frozen), and returns their names.
 * @throws {@link TrainingArgumentError} if nothing is selected.
 */
export function freezeAllBut(model: Module, trainParameter: (name: string) => boolean): string[] {
  const names: string[] = [];
  for (const [name, p] of model.namedParameters()) {
    p.trainable = trainParameter(name);
    if (p.trainable) names.push(name);
  }
  if (names.length === 0) {
    throw new TrainingArgumentError('decoder fine-tuning: no parameter of the codec is selected for training; the decoder\'s must be named decoder.* or pass trainParameter.');
  }
  return names;
}

/**
 * Decoder fine-tuning (YONOS-SR, last stage): the U-Net is frozen; for each HR crop, the LR
 * input (`ctx.rng.fork('degrade')`) is encoded to `z_lr` as at inference, `z_T` is seeded
 * noise (`ctx.rng.fork('noise')`), one DDIM step from the scheduler's single inference
 * timestep (t = T - 1 with `trailing` spacing) gives `z_0` (the step's `prevSample`, as
 * `YonosPipeline` takes it), and the decoder is trained so that `decode(z_0)` matches the HR
 * crop: L1 plus an optional extra term. Everything before the decoder runs outside the gradient
 * tape; only the parameters `trainParameter` selects change (the codec is frozen otherwise,
 * by this call).
 * @throws {@link TrainingArgumentError} for a bad scale or weight, or a selection that trains nothing.
 */
export function createDecoderStage(options: DecoderStageOptions): Stage<DecoderBatch> {
  const { codec, unet, scheduler, data, degradation, scale, extraLoss, context } = options;
  checkScale(scale, 1, 'decoder fine-tuning');
  const l1Weight = options.l1Weight ?? 1;
  checkWeight('l1Weight', l1Weight);
  freezeAllBut(codec, options.trainParameter ?? isDecoderParameter);

  const task: TrainTask<DecoderBatch> = {
    batch: async (ctx: StepContext): Promise<DecoderBatch> => {
      const hr = await data.batch(ctx.microBatchIndex);
      try {
        return buildBatch(hr, ctx);
      } finally {
        hr.dispose();
      }
    },
    loss: ({ latent, target }, ctx) => {
      codec.train(ctx.rng.fork('dropout'));
      return tf.tidy(() => {
        const reconstruction = codec.decode(latent);
        let loss = tf.mul(tf.mean(tf.abs(tf.sub(reconstruction, target))), l1Weight) as tf.Scalar;
        if (extraLoss !== undefined) loss = tf.add(loss, extraLoss({ target, reconstruction, step: ctx.step, rng: ctx.rng.fork('extra') }));
        return loss;
      });
    },
  };

  function buildBatch(hr: tf.Tensor4D, ctx: StepContext): DecoderBatch {
    return tf.tidy(() => {
      const [n, h, w] = hr.shape;
      // The loss puts the codec in training mode; encoding must see it as at inference.
      codec.eval();
      const lr = degradation.degrade(hr, scale, ctx.rng.fork('degrade'));
      const zlr = encodeCondition(codec, upsampleLr(lr, h, w));
      scheduler.setTimesteps(1);
      const t = scheduler.timesteps[0]!;
      const sigma = scheduler.initNoiseSigma ?? 1;
      const zT = tf.mul(ctx.rng.fork('noise').normal(zlr.shape), sigma) as tf.Tensor4D;
      (unet as Partial<Module>).eval?.();
      const out = predictWith(unet, zT, zlr, t, contextFor(unet, n, context));
      const step = scheduler.step(out, t, zT).prevSample as tf.Tensor4D;
      const z0 = options.residual === true ? (tf.add(step, zlr) as tf.Tensor4D) : step;
      return { latent: unscaleLatent(codec, z0), target: toSigned(hr) };
    });
  }

  return { name: 'decoder', task, modelName: 'vae', model: codec };
}
