import * as tf from '@tensorflow/tfjs-core';
import { createRng, imresize } from '@yonos/core';
import type { Denoiser, LatentCodec, NoiseScheduler, ProgressCallback } from '@yonos/core';
import { throwIfAborted, tileHooks } from './control.js';
import { denoiseLatents } from './denoise.js';
import type { YonosTiling } from './options.js';
import { decodeLatents } from './decode-latents.js';
import { padBottomRight } from './padding.js';
import { runContext } from './run-context.js';
import type { RunGeometry } from './run-geometry.js';
import { DDIMScheduler } from '../schedulers/index.js';
import { TiledLatentCodec } from './tiled-codec.js';
import { planTiles } from './tile-plan.js';

/** One checked `YonosPipeline` run: the models, the input, and what was decided for it. */
export interface YonosRunArgs {
  readonly vae: LatentCodec;
  readonly unet: Denoiser;
  /** Its timesteps are set here. */
  readonly scheduler: NoiseScheduler;
  /** Whether the denoiser works on `z_0 - z_lr`. */
  readonly residual: boolean;
  /** NHWC `[N, H, W, 3]` in `[-1, 1]`; not disposed. */
  readonly lr: tf.Tensor4D;
  readonly scale: number;
  readonly steps: number;
  readonly geometry: RunGeometry;
  readonly tiling: YonosTiling;
  /** `z_T` of the latent shape; not disposed. Otherwise seeded noise times the scheduler's `initNoiseSigma`. */
  readonly latents: tf.Tensor4D | undefined;
  /** Seed of `z_T` when `latents` is not given. */
  readonly seed: number | bigint | string;
  /** The context given for the run (or the pipeline's), `[1 or N, L, D]`; not disposed. `undefined`: the null context. */
  readonly context: tf.Tensor3D | undefined;
  readonly onProgress: ProgressCallback | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * The YONOS algorithm (see `YonosPipeline`): bicubic upsampling and padding, tiled encoding
 * to `z_lr`, the denoising loop on `concat(z_t, z_lr)`, then `decodeLatents`.
 * Each intermediate is freed as soon as the next exists; on errors, everything the run made.
 * @returns NHWC `[N, outHeight, outWidth, 3]` in `[-1, 1]`; the caller owns it.
 */
export async function runYonos(args: YonosRunArgs): Promise<tf.Tensor4D> {
  const { vae, unet, scheduler, lr, scale, geometry: g, tiling, onProgress, signal } = args;
  const codec = new TiledLatentCodec(vae, { tileSampleSize: tiling.vaeTileSize, overlap: tiling.vaeOverlap });
  let context: tf.Tensor3D | undefined;
  let up: tf.Tensor4D | undefined;
  let condition: tf.Tensor4D | undefined;
  let zT: tf.Tensor4D | undefined;
  let z0: tf.Tensor4D | undefined;
  try {
    throwIfAborted(signal);
    up = tf.tidy(() => padBottomRight(imresize(lr, scale), g.paddedHeight, g.paddedWidth));
    // Only the mean is used: its tiles are blended without their log-variances.
    const mean = await codec.encodeMeanAsync(up, tileHooks('encode', onProgress, signal));
    let cond: tf.Tensor4D;
    try {
      cond = tf.tidy(() => tf.mul(tf.sub(mean, vae.shiftFactor), vae.scalingFactor) as tf.Tensor4D);
    } finally {
      mean.dispose();
    }
    condition = cond;
    up.dispose();

    const sigma = scheduler.initNoiseSigma;
    const shape: [number, number, number, number] = [lr.shape[0], g.latentHeight, g.latentWidth, vae.latentChannels];
    zT = args.latents !== undefined ? tf.clone(args.latents) : (tf.tidy(() => tf.mul(createRng(args.seed).normal(shape), sigma)) as tf.Tensor4D);
    context = runContext(unet, args.context, lr.shape[0]);
    scheduler.setTimesteps(args.steps);
    const start = zT;
    zT = undefined; // denoiseLatents takes it over
    z0 = await denoiseLatents({
      unet,
      scheduler,
      latents: start,
      consumeLatents: true,
      // DDIM's step (without eta, as here) is elementwise.
      stepByRows: scheduler instanceof DDIMScheduler,
      condition: cond,
      ...(context !== undefined ? { context } : {}),
      plan: planTiles({ height: g.latentHeight, width: g.latentWidth, tile: tiling.latentTileSize, overlap: tiling.latentOverlap }),
      ...(onProgress !== undefined ? { onProgress } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    if (args.residual) {
      const shifted = tf.add(z0, cond) as tf.Tensor4D;
      z0.dispose();
      z0 = shifted;
    }
    tf.dispose([condition, ...(context !== undefined ? [context] : [])]);

    const final = z0;
    z0 = undefined; // decodeLatents takes it over
    return await decodeLatents(codec, final, g.outHeight, g.outWidth, tileHooks('decode', onProgress, signal));
  } finally {
    // Idempotent: tensors already freed on the way are skipped.
    const owned: Array<tf.Tensor | undefined> = [up, condition, zT, context, z0];
    tf.dispose(owned.filter((t): t is tf.Tensor => t !== undefined));
  }
}
