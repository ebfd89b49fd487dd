import * as tf from '@tensorflow/tfjs-core';
import type { OneStepLatentSource } from '@yonos/distill';
import type { StableDiffusionUpscalePipeline } from '@yonos/sampler';

/** How {@link upscalerOneStepLatent} runs the upscaler (as `yonos upscale` would). */
export interface UpscalerLatentRun {
  /** Denoising steps. */
  readonly steps: number;
  /** Classifier-free guidance weight (1: none). */
  readonly guidanceScale: number;
  /** Noise level of the low-res image, also the U-Net's class label. */
  readonly noiseLevel: number;
}

/**
 * The one-step latents of a Stable Diffusion x4 upscaler for decoder fine-tuning:
 * `pipeline.denoise` of the LR input (in `[-1, 1]`, clamped as an image file would be) with
 * the pipeline's prompt embeddings, untiled, the low-res noise and `z_T` drawn from the
 * micro-batch's generator (`rng.fork('low-res-noise')`, `rng.fork('noise')`), so a resumed
 * run draws the same. The latent is the LR size (the crop's LR side must be a multiple of the
 * pipeline's `latentMultiple`, or the padded latent would not fit the crop).
 */
export function upscalerOneStepLatent(pipeline: StableDiffusionUpscalePipeline, run: UpscalerLatentRun): OneStepLatentSource {
  const sigma = pipeline.scheduler.initNoiseSigma;
  return async ({ lr, rng }) => {
    const [n, h, w] = lr.shape;
    const signed = tf.tidy(() => tf.clipByValue(tf.sub(tf.mul(lr, 2), 1), -1, 1) as tf.Tensor4D);
    const latents = tf.tidy(() => tf.mul(rng.fork('noise').normal(pipeline.latentShape(h, w, { batch: n })), sigma) as tf.Tensor4D);
    const lowResNoise = rng.fork('low-res-noise').normal(pipeline.lowResNoiseShape(h, w, { batch: n })) as tf.Tensor4D;
    try {
      return await pipeline.denoise(signed, { ...run, latents, lowResNoise, tile: false });
    } finally {
      tf.dispose([signed, latents, lowResNoise]);
    }
  };
}
