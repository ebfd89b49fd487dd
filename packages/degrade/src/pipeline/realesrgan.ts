import * as tf from '@tensorflow/tfjs-core';
import type { Degradation, Rng } from '@yonos/core';
import { check } from '../errors.js';
import { filter2D } from '../filter/filter2d.js';
import { usmSharp } from '../filter/usm-sharp.js';
import { diffJpeg } from '../jpeg/diff-jpeg.js';
import { kernelToTensor } from '../kernels/kernel.js';
import { randomBlurKernel, randomFinalSincKernel, type ValueRange, uniformIn, weightedChoice } from '../kernels/random.js';
import { randomAddGaussianNoise } from '../noise/gaussian.js';
import { randomAddPoissonNoise } from '../noise/poisson.js';
import { interpolate } from '../resize/interpolate.js';
import { type RealESRGANOptions, REALESRGAN_DEFAULTS, type ResizeProb, type ResolvedRealESRGANOptions } from './realesrgan-options.js';
import { forkPerSample } from './sample-rng.js';

interface NoiseStage {
  readonly gaussianProb: number;
  readonly sigmaRange: ValueRange;
  readonly poissonScaleRange: ValueRange;
  readonly grayProb: number;
}

function resolve(options: RealESRGANOptions): ResolvedRealESRGANOptions {
  const o = { ...REALESRGAN_DEFAULTS, ...options };
  return {
    ...o,
    kernel1: { ...REALESRGAN_DEFAULTS.kernel1, ...options.kernel1 },
    kernel2: { ...REALESRGAN_DEFAULTS.kernel2, ...options.kernel2 },
    finalSinc: { ...REALESRGAN_DEFAULTS.finalSinc, ...options.finalSinc },
  };
}

/**
 * Real-ESRGAN's second-order degradation (`RealESRGANModel.feed_data` with the kernels of
 * `RealESRGANDataset`), the published pipeline for blind SR training data:
 *
 * 1. optional USM sharpening of the HR image;
 * 2. first pass: blur (`kernel1`), random resize (up/down/keep, area/bilinear/bicubic),
 *    Gaussian or Poisson noise, JPEG;
 * 3. second pass: blur (`kernel2`, with probability `secondBlurProb`), random resize relative
 *    to the target size, noise, then in random order [resize to `H/scale` + final sinc] and JPEG;
 * 4. clamp and round to 8-bit levels.
 *
 * Differences from Real-ESRGAN, on purpose: every random choice is drawn per sample (from a
 * fork of `rng` per sample) rather than once per batch, so a batch is as diverse as
 * Real-ESRGAN's training-pair pool makes it and a sample's result depends only on its image
 * and its generator; and the random crop / pair pool stay with the caller. Resizes follow
 * PyTorch's `F.interpolate` (see {@link interpolate}); blur, noise and JPEG are this
 * package's BasicSR-exact ops.
 */
export class RealESRGANDegradation implements Degradation {
  /** The options in effect, defaults filled in. */
  readonly options: ResolvedRealESRGANOptions;

  /** @param options Overrides of {@link REALESRGAN_DEFAULTS} (nested kernel options merge key by key). */
  constructor(options: RealESRGANOptions = {}) {
    this.options = resolve(options);
    const o = this.options;
    for (const [p, name] of [[o.resizeProb, 'resizeProb'], [o.resizeProb2, 'resizeProb2']] as const) {
      check(p.length === 3 && p.every((v) => v >= 0) && p.some((v) => v > 0), () => `RealESRGANDegradation: ${name} must be three non-negative weights [up, down, keep], got [${p.join(', ')}].`);
    }
    check(o.resizeModes.length > 0, () => 'RealESRGANDegradation: resizeModes must not be empty.');
  }

  /**
   * @param hr NHWC `[N, H, W, 3]`, RGB float32 in [0, 1]; H and W divisible by `scale`.
   * @param scale Integer downscaling factor (2, 4, 8, ...).
   * @param rng Source of every random choice; advanced by 2 draws per sample.
   * @returns NHWC `[N, H/scale, W/scale, 3]`, float32 in [0, 1], quantized to 8-bit levels.
   * @throws {@link DegradeError} on a wrong shape or scale.
   */
  degrade(hr: tf.Tensor4D, scale: number, rng: Rng): tf.Tensor4D {
    check(hr.rank === 4 && hr.shape[3] === 3, () => `RealESRGANDegradation: hr must be NHWC RGB [N, H, W, 3], got shape [${hr.shape.join(', ')}].`);
    const [n, h, w] = hr.shape;
    check(Number.isInteger(scale) && scale >= 1 && h % scale === 0 && w % scale === 0, () => `RealESRGANDegradation: scale must be a positive integer dividing H and W (${h}x${w}), got ${scale}.`);
    const rngs = forkPerSample(rng, n, 'realesrgan');
    const outs: tf.Tensor4D[] = [];
    try {
      for (let i = 0; i < n; i++) {
        outs.push(tf.tidy(() => this.degradeOne(tf.slice(hr, [i, 0, 0, 0], [1, h, w, 3]) as tf.Tensor4D, scale, rngs[i]!)));
      }
      return n === 1 ? outs.pop()! : (tf.concat(outs) as tf.Tensor4D);
    } finally {
      tf.dispose(outs);
    }
  }

  /** One sample `[1, H, W, 3]`; call inside a tidy. */
  private degradeOne(gt: tf.Tensor4D, scale: number, rng: Rng): tf.Tensor4D {
    const o = this.options;
    const [, h, w] = gt.shape;
    const outSize = { height: h / scale, width: w / scale };
    // Kernels first, as Real-ESRGAN's dataset draws them before the model's choices.
    const kernel1 = randomBlurKernel(rng, o.kernel1);
    const kernel2 = randomBlurKernel(rng, o.kernel2);
    const sinc = randomFinalSincKernel(rng, o.finalSinc);

    let x = o.sharpenInput === false ? gt : usmSharp(gt, o.sharpenInput === true ? {} : o.sharpenInput);

    // First degradation.
    x = filter2D(x, kernelToTensor(kernel1));
    const s1 = this.resizeFactor(rng, o.resizeProb, o.resizeRange);
    x = this.resize(x, s1, rng);
    x = this.noise(x, rng, { gaussianProb: o.gaussianNoiseProb, sigmaRange: o.noiseRange, poissonScaleRange: o.poissonScaleRange, grayProb: o.grayNoiseProb });
    x = diffJpeg(tf.clipByValue(x, 0, 1), uniformIn(rng, o.jpegRange));

    // Second degradation.
    if (rng.nextFloat() < o.secondBlurProb) {
      x = filter2D(x, kernelToTensor(kernel2));
    }
    const s2 = this.resizeFactor(rng, o.resizeProb2, o.resizeRange2);
    x = this.resize(x, { height: Math.max(1, Math.floor((h / scale) * s2)), width: Math.max(1, Math.floor((w / scale) * s2)) }, rng);
    x = this.noise(x, rng, { gaussianProb: o.gaussianNoiseProb2, sigmaRange: o.noiseRange2, poissonScaleRange: o.poissonScaleRange2, grayProb: o.grayNoiseProb2 });
    if (rng.nextFloat() < o.sincBeforeJpegProb) {
      x = filter2D(this.resize(x, outSize, rng), kernelToTensor(sinc));
      x = diffJpeg(tf.clipByValue(x, 0, 1), uniformIn(rng, o.jpegRange2));
    } else {
      x = diffJpeg(tf.clipByValue(x, 0, 1), uniformIn(rng, o.jpegRange2));
      x = filter2D(this.resize(x, outSize, rng), kernelToTensor(sinc));
    }
    return tf.div(tf.clipByValue(tf.round(tf.mul(x, 255)), 0, 255), 255);
  }

  /** Real-ESRGAN's up/down/keep choice and factor. */
  private resizeFactor(rng: Rng, prob: ResizeProb, range: ValueRange): number {
    const kind = weightedChoice(rng, prob);
    if (kind === 0) {
      return uniformIn(rng, [1, range[1]]);
    }
    if (kind === 1) {
      return uniformIn(rng, [range[0], 1]);
    }
    return 1;
  }

  /** Resize by a factor (PyTorch `scale_factor`) or to a size, with a random mode. */
  private resize(x: tf.Tensor4D, target: number | { height: number; width: number }, rng: Rng): tf.Tensor4D {
    const mode = this.options.resizeModes[rng.nextInt(0, this.options.resizeModes.length - 1)]!;
    if (typeof target === 'number') {
      const [, h, w] = x.shape;
      if (Math.floor(h * target) < 1 || Math.floor(w * target) < 1) {
        // Tiny inputs: PyTorch would fail on an empty output; keep one pixel instead.
        return interpolate(x, { height: Math.max(1, Math.floor(h * target)), width: Math.max(1, Math.floor(w * target)) }, { mode });
      }
    }
    return interpolate(x, target, { mode });
  }

  private noise(x: tf.Tensor4D, rng: Rng, stage: NoiseStage): tf.Tensor4D {
    if (rng.nextFloat() < stage.gaussianProb) {
      return randomAddGaussianNoise(x, { sigmaRange: stage.sigmaRange, grayProb: stage.grayProb, clip: true, rounds: false }, rng);
    }
    return randomAddPoissonNoise(x, { scaleRange: stage.poissonScaleRange, grayProb: stage.grayProb, clip: true, rounds: false }, rng);
  }
}
