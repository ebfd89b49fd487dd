import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, NoiseScheduler } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import { ImageFolder, validateSuperResolution } from '@yonos/distill';
import { toSigned } from '@yonos/distill/internal';
import type { RunStageOptions, SrTrainConfig } from '@yonos/distill';
import { YonosPipeline } from '@yonos/sampler';
import { TrainSetupError } from './errors.js';

type ValidationConfig = SrTrainConfig['validation'];
type Validate = NonNullable<RunStageOptions['validate']>;

/**
 * The held-out folder, when validation is on (`validation.every > 0`).
 * @throws {@link TrainSetupError} if validation is on but `data.validation` is not set.
 */
export async function openValidationFolder(folder: string | undefined, validation: ValidationConfig): Promise<ImageFolder | undefined> {
  if (validation.every === 0) return undefined;
  if (folder === undefined) {
    throw new TrainSetupError('validation.every is set but data.validation is not: give a folder of held-out HR images, or set validation.every to 0.');
  }
  return ImageFolder.open(folder);
}

function evalMode(models: readonly unknown[]): void {
  for (const m of models) (m as Partial<Module>).eval?.();
}

/** The one-step super-resolution a validation runs, as at inference. */
export interface OneStepUpscale {
  /**
   * Upscales a batch of LR images.
   * @param lr NHWC `[N, h, w, 3]`, float32 in `[-1, 1]`; not disposed.
   * @param seed The seed of the run's noise.
   * @returns NHWC `[N, h * scale, w * scale, 3]`, float32 in `[-1, 1]`; the caller owns it.
   */
  run(lr: tf.Tensor4D, seed: number): Promise<tf.Tensor4D>;
  /** The models it runs, put into eval mode before each validation (training leaves the trained one in training mode). */
  readonly models: readonly unknown[];
}

/**
 * A YONOS pipeline's one-step upscale (`YonosPipeline` with one step, untiled) over the
 * training run's models, which it does not own.
 */
export function yonosOneStepUpscale(args: {
  readonly vae: LatentCodec;
  readonly unet: Denoiser;
  readonly scheduler: NoiseScheduler;
  readonly scale: number;
  /** The U-Net works on `z_0 - z_lr` (residual diffusion). */
  readonly residual?: boolean;
}): OneStepUpscale {
  const { vae, unet, scheduler, scale } = args;
  return {
    models: [vae, unet],
    run: async (lr, seed) => {
      const pipeline = new YonosPipeline({ vae, unet, scheduler, scale, residual: args.residual === true });
      try {
        return await pipeline.run(lr, { seed, tile: false });
      } finally {
        pipeline.dispose({ components: false });
      }
    },
  };
}

/**
 * Validation of a super-resolution model as it will be used: `upscale` on the bicubic LR of
 * centred HR crops (PSNR/SSIM, sample PNGs under `<samplesRoot>/samples/step-<n>/`), on the
 * EMA weights when the run has an EMA.
 */
export function oneStepValidator(args: {
  readonly dataset: ImageFolder;
  readonly validation: ValidationConfig;
  readonly scale: number;
  readonly upscale: OneStepUpscale;
  readonly samplesRoot: string;
  /** The model the EMA averages (default the stage's model). */
  readonly emaModule?: Module;
}): Validate {
  const { dataset, validation, scale, upscale, samplesRoot } = args;
  return async ({ step, ema }) => {
    const run = async (): Promise<Record<string, number>> => {
      evalMode(upscale.models);
      const r = await validateSuperResolution({
        dataset,
        scale,
        maxSize: validation.max_size,
        maxImages: validation.max_images,
        ...(validation.samples > 0 ? { samplesDir: join(samplesRoot, 'samples', `step-${step}`), sampleCount: validation.samples } : {}),
        predict: async (lr) => {
          const signed = toSigned(lr);
          try {
            const out = await upscale.run(signed, validation.seed);
            const unit = tf.tidy(() => tf.div(tf.add(out, 1), 2) as tf.Tensor4D);
            out.dispose();
            return unit;
          } finally {
            signed.dispose();
          }
        },
      });
      return { psnr: r.psnr, ssim: r.ssim };
    };
    return ema !== undefined ? await ema.withAveraged(run, args.emaModule) : await run();
  };
}

/**
 * Validation of a YONOS super-resolution model as it will be used: {@link oneStepValidator}
 * with {@link yonosOneStepUpscale}.
 */
export function superResolutionValidator(args: {
  readonly dataset: ImageFolder;
  readonly validation: ValidationConfig;
  readonly scale: number;
  readonly vae: LatentCodec;
  readonly unet: Denoiser;
  readonly scheduler: NoiseScheduler;
  readonly samplesRoot: string;
  /** The model the EMA averages (default the U-Net). */
  readonly emaModule?: Module;
  /** The U-Net works on `z_0 - z_lr` (residual diffusion). */
  readonly residual?: boolean;
}): Validate {
  return oneStepValidator({
    dataset: args.dataset,
    validation: args.validation,
    scale: args.scale,
    samplesRoot: args.samplesRoot,
    upscale: yonosOneStepUpscale(args),
    ...(args.emaModule !== undefined ? { emaModule: args.emaModule } : {}),
  });
}

/** Validation of a VAE: PSNR/SSIM of `decode(encode(x).mean)` on centred crops of the held-out images. */
export function reconstructionValidator(args: {
  readonly dataset: ImageFolder;
  readonly validation: ValidationConfig;
  readonly vae: LatentCodec & Module;
  readonly samplesRoot: string;
}): Validate {
  const { dataset, validation, vae, samplesRoot } = args;
  return async ({ step, ema }) => {
    const run = async (): Promise<Record<string, number>> => {
      vae.eval();
      const r = await validateSuperResolution({
        dataset,
        scale: 1,
        degrade: (hr) => tf.clone(hr),
        sizeMultiple: vae.downsampleFactor,
        cropBorder: 0,
        maxSize: validation.max_size,
        maxImages: validation.max_images,
        ...(validation.samples > 0 ? { samplesDir: join(samplesRoot, 'samples', `step-${step}`), sampleCount: validation.samples } : {}),
        predict: (image) =>
          tf.tidy(() => {
            const posterior = vae.encode(toSigned(image));
            return tf.div(tf.add(vae.decode(posterior.mean), 1), 2) as tf.Tensor4D;
          }),
      });
      return { psnr: r.psnr, ssim: r.ssim };
    };
    return ema !== undefined ? ema.withAveraged(run) : run();
  };
}
