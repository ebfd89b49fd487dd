import { checkPositiveInteger } from './checks.js';
import { roundUpTo } from './padding.js';

/** The sizes of one `YonosPipeline` run: the output, the padded image the codec sees, and its latent. */
export interface RunGeometry {
  /** `ceil(height * scale)`. */
  readonly outHeight: number;
  /** `ceil(width * scale)`. */
  readonly outWidth: number;
  /** The output height padded to a multiple of the codec's factor times the latent multiple. */
  readonly paddedHeight: number;
  /** The output width padded likewise. */
  readonly paddedWidth: number;
  /** `paddedHeight / downsampleFactor`. */
  readonly latentHeight: number;
  /** `paddedWidth / downsampleFactor`. */
  readonly latentWidth: number;
}

/**
 * The geometry of a run on an LR image of `height x width` upscaled by `scale`.
 * @param scale Checked by the pipeline where it was given (`checkScale`).
 * @param downsampleFactor The codec's factor between image and latent.
 * @param latentMultiple Latent sides are padded to multiples of this.
 * @throws PipelineInputError unless the sides are positive integers.
 */
export function runGeometry(height: number, width: number, scale: number, downsampleFactor: number, latentMultiple: number): RunGeometry {
  checkPositiveInteger(height, 'height');
  checkPositiveInteger(width, 'width');
  const outHeight = Math.ceil(height * scale);
  const outWidth = Math.ceil(width * scale);
  const unit = downsampleFactor * latentMultiple;
  const paddedHeight = roundUpTo(outHeight, unit);
  const paddedWidth = roundUpTo(outWidth, unit);
  return {
    outHeight,
    outWidth,
    paddedHeight,
    paddedWidth,
    latentHeight: paddedHeight / downsampleFactor,
    latentWidth: paddedWidth / downsampleFactor,
  };
}
