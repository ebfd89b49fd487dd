import * as tf from '@tensorflow/tfjs-core';
import { cropTopLeft } from './padding.js';
import type { TiledLatentCodec } from './tiled-codec.js';
import type { TileLoopHooks } from './tile-blend.js';

/**
 * The last stage of a pipeline run: the final latents `z_0` (diffusion scale) back to the
 * codec's scale (`z_0 / scalingFactor + shiftFactor`), decoded tile by tile, cropped to
 * `height x width` from the top left and clamped to `[-1, 1]`. Each intermediate is freed as
 * soon as the next exists.
 * @param z0 `[N, h, w, C]`; taken over (disposed here, on errors too).
 * @returns NHWC `[N, height, width, 3]`; the caller owns it.
 */
export async function decodeLatents(codec: TiledLatentCodec, z0: tf.Tensor4D, height: number, width: number, hooks: TileLoopHooks): Promise<tf.Tensor4D> {
  let latent: tf.Tensor4D | undefined;
  let decoded: tf.Tensor4D | undefined;
  try {
    latent = tf.tidy(() => tf.add(tf.div(z0, codec.scalingFactor), codec.shiftFactor) as tf.Tensor4D);
    z0.dispose();
    decoded = await codec.decodeAsync(latent, hooks);
    latent.dispose();
    if (decoded.shape[1] !== height || decoded.shape[2] !== width) {
      const cropped = cropTopLeft(decoded, height, width);
      decoded.dispose();
      decoded = cropped;
    }
    return tf.clipByValue(decoded, -1, 1);
  } finally {
    // Idempotent: tensors already freed on the way are skipped.
    tf.dispose([z0, ...(latent !== undefined ? [latent] : []), ...(decoded !== undefined ? [decoded] : [])]);
  }
}
