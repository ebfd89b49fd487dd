import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser } from '@yonos/core';
import type { WindowPredictor } from '../pipeline/denoise.js';

/** What {@link guidedUpscalePredictor} needs. */
export interface GuidedUpscaleArgs {
  /** The class-conditioned denoiser; takes `concat(z_t, noised image)` on channels. */
  readonly unet: Denoiser;
  /** `[N, L, D]`, or `[2N, L, D]` with guidance (negative prompt first); not disposed. */
  readonly context: tf.Tensor3D;
  /** The noise level, fed to the denoiser as its class label. */
  readonly noiseLevel: number;
  /** Classifier-free guidance weight; guidance is on when it is above 1 (diffusers' rule). */
  readonly guidanceScale: number;
}

/**
 * The x4 upscaler's model evaluation on one window, as diffusers' `StableDiffusionUpscalePipeline`
 * does it: with guidance the batch is doubled (`[uncond, text]`, the latents and the noised image
 * repeated), the input is `concat(z_t, noised image)` on channels (latents first), the noise
 * level is the class label, and the two halves are combined as
 * `uncond + guidanceScale * (text - uncond)`.
 * @returns A {@link WindowPredictor} for `denoiseLatents`; its outputs are `[N, h, w, C]`.
 */
export function guidedUpscalePredictor(args: GuidedUpscaleArgs): WindowPredictor {
  const { unet, context, noiseLevel, guidanceScale } = args;
  const guided = guidanceScale > 1;
  return (latents, image, timestep) =>
    tf.tidy(() => {
      const x = guided ? tf.concat([latents, latents], 0) : latents;
      const condition = guided ? tf.concat([image, image], 0) : image;
      const output = unet.forward(tf.concat([x, condition], 3), timestep, context, { classLabels: noiseLevel });
      if (!guided) return output;
      const [uncond, text] = tf.split(output, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
      return tf.add(uncond, tf.mul(guidanceScale, tf.sub(text, uncond)));
    });
}
