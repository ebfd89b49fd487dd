import type * as tf from '@tensorflow/tfjs-core';
import type { Conv2d } from '@yonos/core/nn';
import type { UNetDownBlock, UNetMidBlock, UNetUpBlock } from './blocks/types.js';
import { UnetInputError } from './errors.js';

/** The parts of a U-Net between its input conv and its output head. */
export interface UNetSkeleton {
  /** Input convolution. */
  readonly convIn: Conv2d;
  /** Down blocks, shallow to deep. */
  readonly down: readonly UNetDownBlock[];
  /** Mid block, or `null`. */
  readonly mid: UNetMidBlock | null;
  /** Up blocks, deep to shallow. */
  readonly up: readonly UNetUpBlock[];
  /**
   * Upsample to the skip tensors' sizes when the input is not a multiple of the total
   * downsampling factor (`UNet2DConditionModel`); `UNet2DModel` always doubles.
   */
  readonly forwardUpsampleSize: boolean;
}

/**
 * Throws unless `sample` is a non-empty NHWC float tensor with `inChannels` channels.
 * @throws {@link UnetInputError}
 */
export function checkSample(sample: tf.Tensor, inChannels: number, where: string): void {
  if (sample.rank !== 4 || sample.shape[3] !== inChannels) {
    throw new UnetInputError(
      `${where} expects an NHWC sample [N, H, W, ${inChannels}], got [${sample.shape.join(', ')}]; ` +
        'transpose NCHW tensors with tf.transpose(x, [0, 2, 3, 1]) first.',
    );
  }
  if (sample.dtype !== 'float32') {
    throw new UnetInputError(`${where} expects a float32 sample, got ${sample.dtype}; cast it with tf.cast(x, 'float32').`);
  }
  if (sample.size === 0) {
    throw new UnetInputError(`${where} got an empty sample [${sample.shape.join(', ')}]; N, H and W must be at least 1.`);
  }
}

/**
 * The U-Net body as diffusers runs it: `conv_in`, down blocks collecting skip tensors (the
 * `conv_in` output first), the mid block, then up blocks each consuming as many skips as it has
 * ResNets, last produced first. Call inside `tf.tidy`.
 * @returns NHWC `[N, H, W, block_out_channels[0]]` before the output head.
 */
export function runUNet(s: UNetSkeleton, x: tf.Tensor4D, temb: tf.Tensor2D, context: tf.Tensor3D | undefined): tf.Tensor4D {
  const factor = 2 ** s.up.filter((_, i) => i < s.up.length - 1).length;
  const forwardSize = s.forwardUpsampleSize && (x.shape[1] % factor !== 0 || x.shape[2] % factor !== 0);
  let h = s.convIn.forward(x);
  const skips: tf.Tensor4D[] = [h];
  for (const block of s.down) {
    const out = block.forward(h, temb, context);
    h = out.hidden;
    skips.push(...out.residuals);
  }
  if (s.mid !== null) h = s.mid.forward(h, temb, context);
  s.up.forEach((block, i) => {
    const count = block.resnets.length;
    if (skips.length < count) {
      throw new UnetInputError('U-Net: the down path produced fewer skip tensors than the up path consumes; check the block config.');
    }
    const taken = skips.splice(skips.length - count, count);
    const isFinal = i === s.up.length - 1;
    const last = skips[skips.length - 1];
    const size: [number, number] | undefined =
      forwardSize && !isFinal && last !== undefined ? [last.shape[1], last.shape[2]] : undefined;
    h = block.forward(h, taken, temb, context, size);
  });
  return h;
}
