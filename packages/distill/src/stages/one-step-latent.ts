import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, Rng } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import { contextFor, encodeCondition, predictWith, upsampleLr } from './conditioning.js';
import type { TrainingScheduler } from './types.js';

/** What a {@link OneStepLatentSource} is given for one micro-batch. The tensors belong to the stage: do not dispose them. */
export interface OneStepLatentArgs {
  /** The HR crops: NHWC `[N, H, W, 3]`, float32 in `[0, 1]`. */
  readonly hr: tf.Tensor4D;
  /** The LR inputs the degradation made from them: NHWC `[N, H / scale, W / scale, 3]`, float32, nominally `[0, 1]`. */
  readonly lr: tf.Tensor4D;
  /** The micro-batch's generator: draw every random tensor (the noise of the step) from forks of it, so a resumed run draws the same. */
  readonly rng: Rng;
}

/**
 * The latent a frozen one-step model makes from an LR input, the input of decoder
 * fine-tuning: `z_0` at the diffusion scale (not divided by the codec's `scalingFactor`), NHWC
 * `[N, H / f, W / f, C]` for HR crops of `H x W` and a codec of factor `f`; the caller owns it.
 * Runs outside the gradient tape. {@link yonosOneStepLatent} is YONOS's (a U-Net on
 * `concat(z_T, z_lr)`); the umbrella `yonos` builds one over a Stable Diffusion x4 upscaler
 * (the LR image concatenated to the latent, prompt embeddings, the noise level as class label).
 */
export type OneStepLatentSource = (args: OneStepLatentArgs) => tf.Tensor4D | Promise<tf.Tensor4D>;

/** Options of {@link yonosOneStepLatent}. */
export interface YonosOneStepLatentOptions {
  /** Encodes the conditioning latent `z_lr` of the upsampled LR image (its mean, as `YonosPipeline`). */
  readonly codec: LatentCodec;
  /** The frozen (distilled) U-Net: takes `concat(z_t, z_lr)` on channels. */
  readonly unet: Denoiser;
  /** The scheduler the U-Net samples with (DDIM, v-prediction, `trailing` spacing: one step from t = T - 1). */
  readonly scheduler: TrainingScheduler;
  /** Cross-attention context of the U-Net; default the null context. Not disposed. */
  readonly context?: tf.Tensor3D;
  /** The U-Net was trained for residual diffusion (`YonosPipeline`'s `residual`): `z_lr` is added to its one-step result. Default `false`. */
  readonly residual?: boolean;
}

/**
 * YONOS's one-step latent, as `YonosPipeline` computes it with one step: the LR input is
 * upsampled to the HR size with the MATLAB bicubic and encoded to `z_lr`, `z_T` is seeded
 * noise (`rng.fork('noise')`), and one DDIM step from the scheduler's single inference
 * timestep (t = T - 1 with `trailing` spacing) gives `z_0` (the step's `prevSample`; plus
 * `z_lr` for a residual U-Net). Puts the U-Net in eval mode; the codec must be in eval mode
 * already (the decoder stage sees to it).
 */
export function yonosOneStepLatent(options: YonosOneStepLatentOptions): OneStepLatentSource {
  const { codec, unet, scheduler, context } = options;
  return ({ hr, lr, rng }) =>
    tf.tidy(() => {
      const [n, h, w] = hr.shape;
      const zlr = encodeCondition(codec, upsampleLr(lr, h, w));
      scheduler.setTimesteps(1);
      const t = scheduler.timesteps[0]!;
      const sigma = scheduler.initNoiseSigma;
      const zT = tf.mul(rng.fork('noise').normal(zlr.shape), sigma) as tf.Tensor4D;
      (unet as Partial<Module>).eval?.();
      const out = predictWith(unet, zT, zlr, t, contextFor(unet, n, context));
      const step = scheduler.step(out, t, zT).prevSample as tf.Tensor4D;
      return options.residual === true ? (tf.add(step, zlr) as tf.Tensor4D) : step;
    });
}
