import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '@yonos/core';
import type { Denoiser, LatentCodec, Rng } from '@yonos/core';
import { TrainingArgumentError } from '../errors.js';

/**
 * How the training target latent `z_0` is taken from the HR image's posterior: `'sample'`
 * draws from it (diffusers' training scripts: `latent_dist.sample()`), `'mean'` takes its mean.
 */
export type LatentMode = 'sample' | 'mean';

/** `[0, 1]` -> `[-1, 1]`, the range every codec works in. */
export function toSigned(image: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.mul(image, 2), 1) as tf.Tensor4D);
}

/**
 * The LR image brought to HR size as `YonosPipeline` does at inference: to `[-1, 1]` first,
 * then core's MATLAB bicubic `imresize` to the exact size.
 * @param lr NHWC `[N, h, w, 3]`, float32 in `[0, 1]`.
 * @returns NHWC `[N, height, width, 3]`, float32, nominally `[-1, 1]` (bicubic overshoot is kept, as at inference).
 */
export function upsampleLr(lr: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => imresize(toSigned(lr), { height, width }));
}

/**
 * The YONOS conditioning latent, exactly as `YonosPipeline` computes it:
 * `z_lr = scalingFactor * (encode(up).mean - shiftFactor)`.
 * @param up The upsampled LR image, NHWC `[N, H, W, 3]`, float32 in `[-1, 1]`.
 * @returns NHWC `[N, H/f, W/f, C]`, float32; caller owns it.
 */
export function encodeCondition(codec: LatentCodec, up: tf.Tensor4D): tf.Tensor4D {
  const posterior = codec.encode(up);
  try {
    return tf.tidy(() => tf.mul(tf.sub(posterior.mean, codec.shiftFactor), codec.scalingFactor) as tf.Tensor4D);
  } finally {
    posterior.dispose();
  }
}

/**
 * The diffusion latent of an HR image: `scalingFactor * (z - shiftFactor)` with `z` drawn from
 * (or the mean of) the codec's posterior.
 * @param hr NHWC `[N, H, W, 3]`, float32 in `[-1, 1]`.
 * @param rng Used only for `'sample'`.
 * @returns NHWC `[N, H/f, W/f, C]`, float32; caller owns it.
 */
export function encodeLatent(codec: LatentCodec, hr: tf.Tensor4D, mode: LatentMode, rng: Rng): tf.Tensor4D {
  const posterior = codec.encode(hr);
  try {
    return tf.tidy(() => {
      const z = mode === 'sample' ? posterior.sample(rng) : posterior.mean;
      return tf.mul(tf.sub(z, codec.shiftFactor), codec.scalingFactor) as tf.Tensor4D;
    });
  } finally {
    posterior.dispose();
  }
}

/** The inverse of the diffusion scaling, what the codec decodes: `z / scalingFactor + shiftFactor`. */
export function unscaleLatent(codec: LatentCodec, z: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.div(z, codec.scalingFactor), codec.shiftFactor) as tf.Tensor4D);
}

/**
 * The cross-attention context of a text-free YONOS denoiser: `context` tiled to the batch, or
 * the pipeline's default "null context", zeros `[N, 1, crossAttentionDim]`. `undefined` for
 * denoisers without cross-attention.
 * @param context `[1 or N, L, crossAttentionDim]`, not disposed.
 * @throws {@link TrainingArgumentError} if `context` does not fit the denoiser.
 */
export function contextFor(denoiser: Denoiser, batch: number, context?: tf.Tensor3D): tf.Tensor3D | undefined {
  const dim = denoiser.crossAttentionDim;
  if (dim === undefined) {
    if (context !== undefined) throw new TrainingArgumentError('This denoiser has no cross-attention (crossAttentionDim is undefined): pass no context.');
    return undefined;
  }
  if (context === undefined) return tf.zeros([batch, 1, dim]);
  const [n, , d] = context.shape;
  if (context.rank !== 3 || d !== dim || (n !== 1 && n !== batch)) {
    throw new TrainingArgumentError(`The context must be [1 or ${batch}, L, ${dim}] (crossAttentionDim ${dim}); got [${context.shape.join(', ')}].`);
  }
  return tf.tidy(() => (n === batch ? tf.clone(context) : tf.tile(context, [batch, 1, 1])));
}

/**
 * One denoiser evaluation on the YONOS input `concat([z_t, z_lr], channels)` (the pipeline's order).
 * @param zt NHWC `[N, h, w, C]`, the noisy latent.
 * @param zlr NHWC `[N, h, w, C]`, the conditioning latent.
 * @param timesteps One timestep for the batch, or a float32 `[N]` tensor.
 * @param context From {@link contextFor}.
 * @returns NHWC `[N, h, w, C]`, the prediction; caller owns it.
 * @throws {@link TrainingArgumentError} if the denoiser does not take `2C` channels and return `C`.
 */
export function predictWith(
  denoiser: Denoiser,
  zt: tf.Tensor4D,
  zlr: tf.Tensor4D,
  timesteps: number | tf.Tensor1D,
  context: tf.Tensor3D | undefined,
): tf.Tensor4D {
  const c = zt.shape[3];
  if (denoiser.inChannels !== 2 * c || denoiser.outChannels !== c) {
    throw new TrainingArgumentError(
      `The denoiser takes ${denoiser.inChannels} channels and returns ${denoiser.outChannels}; YONOS needs ${2 * c} (z_t and z_lr) and ${c} ` +
        'for this codec: set the U-Net config in_channels = 2 * latent_channels and out_channels = latent_channels.',
    );
  }
  return tf.tidy(() => denoiser.forward(tf.concat([zt, zlr], 3), timesteps, context));
}
