import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@yonos/core';
import type { Denoiser, LatentCodec, NoiseScheduler, ProgressCallback } from '@yonos/core';
import { throwIfAborted, tileHooks } from '../pipeline/control.js';
import { decodeLatents } from '../pipeline/decode-latents.js';
import { denoiseLatents } from '../pipeline/denoise.js';
import type { DenoiseStepEvent } from '../pipeline/denoise.js';
import { padBottomRight } from '../pipeline/padding.js';
import type { RunGeometry } from '../pipeline/run-geometry.js';
import { TiledLatentCodec } from '../pipeline/tiled-codec.js';
import { planTiles } from '../pipeline/tile-plan.js';
import { DDIMScheduler } from '../schedulers/index.js';
import { guidedUpscalePredictor } from './guidance.js';
import { guidanceContext } from './prompt-embeddings.js';
import type { PromptEmbeddings } from './prompt-embeddings.js';
import type { UpscaleTiling } from './tiling.js';

/** One checked `StableDiffusionUpscalePipeline` run: the models, the input, and what was decided for it. */
export interface UpscaleRunArgs {
  readonly vae: LatentCodec;
  readonly unet: Denoiser;
  /** The run's scheduler (with the run's timestep spacing); its timesteps are set here. */
  readonly scheduler: NoiseScheduler;
  /** Its `addNoise` noises the low-res image. */
  readonly lowResScheduler: NoiseScheduler;
  /** NHWC `[N, H, W, 3]` in `[-1, 1]`; not disposed. */
  readonly lr: tf.Tensor4D;
  readonly steps: number;
  readonly noiseLevel: number;
  readonly guidanceScale: number;
  /** Checked for the batch and the guidance; not disposed. */
  readonly embeddings: PromptEmbeddings;
  /** The sizes: the latent is the low-res image padded, the output the image times the VAE factor. */
  readonly geometry: RunGeometry;
  readonly tiling: UpscaleTiling;
  /** `z_T` of the latent shape; not disposed. Otherwise seeded noise times the scheduler's `initNoiseSigma`. */
  readonly latents: tf.Tensor4D | undefined;
  /** The low-res image's noise, `[N, latentHeight, latentWidth, 3]`; not disposed. Otherwise seeded noise. */
  readonly lowResNoise: tf.Tensor4D | undefined;
  /** Seed of the noises not given (the low-res noise and `z_T` draw from independent streams of it). */
  readonly seed: number | bigint | string;
  readonly onProgress: ProgressCallback | undefined;
  readonly onStepEnd: ((event: DenoiseStepEvent) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * The x4 upscaler's algorithm up to the final latents (see `StableDiffusionUpscalePipeline`):
 * the padded low-res image noised at the noise level, seeded `z_T`, and the denoising loop on
 * `concat(z_t, noised image)` with the guided predictor. Each intermediate is freed as soon as
 * the next exists; on errors, everything the run made.
 * @returns `z_0` at the diffusion scale, `[N, latentHeight, latentWidth, C]`; the caller owns it.
 */
export async function denoiseUpscale(args: UpscaleRunArgs): Promise<tf.Tensor4D> {
  const { unet, scheduler, lr, geometry: g, tiling, noiseLevel, guidanceScale, onProgress, onStepEnd, signal } = args;
  const batch = lr.shape[0];
  const latentShape: [number, number, number, number] = [batch, g.latentHeight, g.latentWidth, args.vae.latentChannels];
  let image: tf.Tensor4D | undefined;
  let noise: tf.Tensor4D | undefined;
  let noised: tf.Tensor4D | undefined;
  let zT: tf.Tensor4D | undefined;
  let context: tf.Tensor3D | undefined;
  try {
    scheduler.setTimesteps(args.steps);
    throwIfAborted(signal);
    // diffusers draws the low-res noise, then the latents, from one generator; here each has
    // its own stream of the seed, so replacing one leaves the other as it was.
    const rng = createRng(args.seed);
    image = padBottomRight(lr, g.latentHeight, g.latentWidth);
    noise = args.lowResNoise ?? (rng.fork('low-res-noise').normal([batch, g.latentHeight, g.latentWidth, 3]) as tf.Tensor4D);
    noised = args.lowResScheduler.addNoise(image, noise, [noiseLevel]) as tf.Tensor4D;
    tf.dispose([image, ...(args.lowResNoise === undefined ? [noise] : [])]);
    const sigma = scheduler.initNoiseSigma;
    zT = args.latents !== undefined ? tf.clone(args.latents) : (tf.tidy(() => tf.mul(rng.fork('latents').normal(latentShape), sigma)) as tf.Tensor4D);
    context = guidanceContext(args.embeddings, batch, guidanceScale > 1);
    const start = zT;
    zT = undefined; // denoiseLatents takes it over
    return await denoiseLatents({
      unet,
      scheduler,
      latents: start,
      consumeLatents: true,
      // DDIM's step (eta 0) is elementwise.
      stepByRows: scheduler instanceof DDIMScheduler,
      condition: noised,
      plan: planTiles({ height: g.latentHeight, width: g.latentWidth, tile: tiling.latentTileSize, overlap: tiling.latentOverlap }),
      predict: guidedUpscalePredictor({ unet, context, noiseLevel, guidanceScale }),
      ...(onStepEnd !== undefined ? { onStepEnd } : {}),
      ...(onProgress !== undefined ? { onProgress } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  } finally {
    // Idempotent: tensors already freed on the way are skipped.
    const owned: Array<tf.Tensor | undefined> = [image, noised, zT, context];
    if (args.lowResNoise === undefined) owned.push(noise);
    tf.dispose(owned.filter((t): t is tf.Tensor => t !== undefined));
  }
}

/**
 * The rest of an upscaler run after `denoiseUpscale`: `decodeLatents` to the output size.
 * @param z0 Taken over (disposed here).
 * @returns NHWC `[N, outHeight, outWidth, 3]` in `[-1, 1]`; the caller owns it.
 */
export function decodeUpscale(args: Pick<UpscaleRunArgs, 'vae' | 'geometry' | 'tiling' | 'onProgress' | 'signal'>, z0: tf.Tensor4D): Promise<tf.Tensor4D> {
  const { tiling, geometry: g, onProgress, signal } = args;
  const codec = new TiledLatentCodec(args.vae, { tileSampleSize: tiling.vaeTileSize, overlap: tiling.vaeOverlap });
  return decodeLatents(codec, z0, g.outHeight, g.outWidth, tileHooks('decode', onProgress, signal));
}
