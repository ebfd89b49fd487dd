import * as tf from '@tensorflow/tfjs-core';
import type { Degradation } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import { TrainingArgumentError } from '../errors.js';
import type { StepContext, TrainTask } from '../loop/step.js';
import { checkScale, checkWeight } from './checks.js';
import { toSigned, unscaleLatent } from './conditioning.js';
import type { OneStepLatentSource } from './one-step-latent.js';
import type { HrBatchSource, ReconstructionLossHook, TrainableCodec } from './types.js';
import type { Stage } from './stage.js';

/** Default choice of the parameters decoder fine-tuning trains: the decode half of an `AutoencoderKL`. */
export function isDecoderParameter(name: string): boolean {
  return name.startsWith('decoder.') || name.startsWith('post_quant_conv.');
}

/** Options of {@link createDecoderStage}. */
export interface DecoderStageOptions {
  /** The codec whose decoder is fine-tuned; its other parameters are frozen by this call. */
  readonly codec: TrainableCodec;
  /**
   * The frozen one-step model whose latents the decoder learns to decode:
   * `yonosOneStepLatent({ codec, unet, scheduler })` for a YONOS U-Net, or any other
   * {@link OneStepLatentSource} (the umbrella `yonos` has one for Stable Diffusion's x4 upscaler).
   */
  readonly oneStepLatent: OneStepLatentSource;
  /** HR crops, NHWC float32 in `[0, 1]`. */
  readonly data: HrBatchSource;
  /** Makes the LR input from the HR crop. */
  readonly degradation: Degradation;
  /** The upscaling factor of the one-step model. */
  readonly scale: number;
  /** Weight of the L1 term (default 1). */
  readonly l1Weight?: number;
  /** An extra term on (reconstruction, HR), e.g. a perceptual loss. */
  readonly extraLoss?: ReconstructionLossHook;
  /** Which codec parameters are trained (default {@link isDecoderParameter}: `decoder.*` and `post_quant_conv.*`). */
  readonly trainParameter?: (name: string) => boolean;
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
 * @param what The stage, for the error message.
 * @throws {@link TrainingArgumentError} if nothing is selected.
 */
export function freezeAllBut(model: Module, trainParameter: (name: string) => boolean, what = 'decoder fine-tuning'): string[] {
  const names: string[] = [];
  for (const [name, p] of model.namedParameters()) {
    p.trainable = trainParameter(name);
    if (p.trainable) names.push(name);
  }
  if (names.length === 0) {
    throw new TrainingArgumentError(`${what}: no parameter of the codec is selected for training; the decoder's must be named decoder.* or pass trainParameter.`);
  }
  return names;
}

/**
 * Decoder fine-tuning (YONOS-SR, last stage): the one-step model is frozen; for each HR crop,
 * the LR input is made by the degradation (`ctx.rng.fork('degrade')`), the one-step model
 * turns it into `z_0` (`oneStepLatent`, given the micro-batch's generator: YONOS's draws `z_T`
 * from `ctx.rng.fork('noise')`), and the decoder is trained so that
 * `decode(z_0 / scalingFactor + shiftFactor)` matches the HR crop: L1 plus an optional extra
 * term. Everything before the decoder runs outside the gradient tape, with the codec in eval
 * mode; only the parameters `trainParameter` selects change (the codec is frozen otherwise, by
 * this call).
 * @throws {@link TrainingArgumentError} for a bad scale or weight, or a selection that trains
 *   nothing; from a batch, for a one-step latent whose shape does not fit the crop and the codec.
 */
export function createDecoderStage(options: DecoderStageOptions): Stage<DecoderBatch> {
  const { codec, oneStepLatent, data, degradation, scale, extraLoss } = options;
  checkScale(scale, 1, 'decoder fine-tuning');
  const l1Weight = options.l1Weight ?? 1;
  checkWeight('l1Weight', l1Weight);
  freezeAllBut(codec, options.trainParameter ?? isDecoderParameter);

  const task: TrainTask<DecoderBatch> = {
    batch: async (ctx: StepContext): Promise<DecoderBatch> => {
      const hr = await data.batch(ctx.microBatchIndex);
      let lr: tf.Tensor4D | undefined;
      let z0: tf.Tensor4D | undefined;
      try {
        // The loss puts the codec in training mode; the one-step model must see it as at inference.
        codec.eval();
        lr = degradation.degrade(hr, scale, ctx.rng.fork('degrade'));
        z0 = await oneStepLatent({ hr, lr, rng: ctx.rng });
        checkLatent(z0, hr);
        const z = z0;
        return tf.tidy(() => ({ latent: unscaleLatent(codec, z), target: toSigned(hr) }));
      } finally {
        tf.dispose([hr, ...(lr !== undefined ? [lr] : []), ...(z0 !== undefined ? [z0] : [])]);
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

  function checkLatent(z0: tf.Tensor4D, hr: tf.Tensor4D): void {
    const f = codec.downsampleFactor;
    const [n, h, w] = hr.shape;
    const expected = [n, h / f, w / f, codec.latentChannels];
    if (z0.rank !== 4 || z0.shape.join() !== expected.join()) {
      throw new TrainingArgumentError(
        `decoder fine-tuning: the one-step latent is [${z0.shape.join(', ')}], but the codec (factor ${f}, ${codec.latentChannels} channels) ` +
          `decodes [${expected.join(', ')}] to the ${h}x${w} crops; the one-step model must work at this codec's latent size.`,
      );
    }
  }

  return { name: 'decoder', task, modelName: 'vae', model: codec };
}
