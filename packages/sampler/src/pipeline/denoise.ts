import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, NoiseScheduler, ProgressCallback } from '@yonos/core';
import { PipelineInputError } from './errors.js';
import { checkpoint, report } from './control.js';
import { blendTileRows, blendTiles } from './tile-blend.js';
import type { TileRegion } from './tile-blend.js';
import type { TilePlan } from './tile-plan.js';

/** Inputs of {@link denoiseLatents}. */
export interface DenoiseLatentsArgs {
  /** Evaluated on `concat(z_t, z_lr)` per tile; must return `[N, h, w, C]` with C latent channels. */
  readonly unet: Denoiser;
  /** Already `setTimesteps`-ed. */
  readonly scheduler: NoiseScheduler;
  /** `z_T`, NHWC `[N, h, w, C]` (diffusion scale). Not disposed, unless `consumeLatents`. */
  readonly latents: tf.Tensor4D;
  /**
   * Take `latents` over instead of copying it: it is disposed once the first step has
   * replaced it (or on an error), which saves a latent-sized tensor. Default `false`.
   */
  readonly consumeLatents?: boolean;
  /** `z_lr = scalingFactor * (mean - shiftFactor)` of the upsampled LR image, `[N, h, w, C]`. Not disposed. */
  readonly condition: tf.Tensor4D;
  /** `[N, L, D]` cross-attention context, or `undefined` for denoisers without cross-attention. Not disposed. */
  readonly context?: tf.Tensor3D;
  /** The U-Net tiles over `[h, w]` (one tile when untiled). */
  readonly plan: TilePlan;
  /** Called with stage `'denoise'` after every U-Net tile (`detail`: `step`, `steps`, `timestep`, `tile`, `tiles`). */
  readonly onProgress?: ProgressCallback;
  /** Checked before every tile; aborting throws {@link PipelineAbortedError}. */
  readonly signal?: AbortSignal;
  /**
   * The scheduler's `step(modelOutput, t, sample)` is elementwise (each element from the same
   * elements of its inputs, as DDIM's is): with tiles, each stretch of rows is stepped as soon
   * as its blend is final, so neither the whole model output nor the step's temporaries over the
   * whole latent are ever held (same result). Default `false`: the whole latent is stepped at once.
   */
  readonly stepByRows?: boolean;
  /**
   * Evaluates the model on one window instead of `unet.forward(concat(z_t, condition), t, context)`:
   * given the windows of `z_t` and of `condition` (tensors the loop owns; do not dispose them),
   * return the model output for the window, `[N, h, w, C]`, which the loop then owns. This is where
   * a pipeline adds what the default call lacks (classifier-free guidance, class labels).
   */
  readonly predict?: WindowPredictor;
  /**
   * Called after each step with the new `z_t` (owned by the loop: read it, or clone it to keep
   * it, before returning), as diffusers' `callback_on_step_end` (`step` is 1-based).
   */
  readonly onStepEnd?: (event: DenoiseStepEvent) => void;
}

/** A model evaluation on one window of the latents and the condition (see {@link DenoiseLatentsArgs.predict}). */
export type WindowPredictor = (latents: tf.Tensor4D, condition: tf.Tensor4D, timestep: number) => tf.Tensor4D;

/** What a denoising loop's `onStepEnd` callback receives after each step. */
export interface DenoiseStepEvent {
  /** The step just taken, 1-based. */
  readonly step: number;
  /** Steps in all. */
  readonly steps: number;
  /** The timestep the step started from. */
  readonly timestep: number;
  /** `z_t` after the step, NHWC `[N, h, w, C]`; valid only during the call. */
  readonly latents: tf.Tensor4D;
}

/**
 * The reverse-diffusion loop of YONOS-SR: at every timestep of the scheduler, the denoiser
 * sees `concat(z_t, z_lr)` on channels (tile by tile, outputs feathered together), then
 * `scheduler.step` moves `z_t` on. The step is taken on the whole latent, so tiling only
 * changes the model evaluation.
 * @returns `z_0` (the last `prevSample`), `[N, h, w, C]`; the caller owns it.
 * @throws PipelineAbortedError when `signal` aborts (between tiles); nothing leaks.
 */
export async function denoiseLatents(args: DenoiseLatentsArgs): Promise<tf.Tensor4D> {
  const { unet, scheduler, latents, condition, context, plan, onProgress, signal, predict } = args;
  let z: tf.Tensor4D = args.consumeLatents === true ? latents : tf.clone(latents);
  try {
    const timesteps = [...scheduler.timesteps];
    for (const [i, t] of timesteps.entries()) {
      const evaluate = (r: TileRegion): tf.Tensor4D => {
        const output = predict !== undefined ? predictWindow(predict, z, condition, r, t) : defaultPredict(unet, z, condition, r, t, context);
        if (output.shape[3] !== latents.shape[3]) {
          throw new PipelineInputError(
            `the denoiser returned [${output.shape.join(', ')}] for a latent with ${latents.shape[3]} channels; it must return one latent.`,
          );
        }
        return output;
      };
      const hooks = {
        beforeTile: () => checkpoint(signal),
        afterTile: (r: TileRegion, tiles: number) =>
          report(onProgress, {
            stage: 'denoise',
            completed: i * tiles + r.index + 1,
            total: timesteps.length * tiles,
            detail: { step: i + 1, steps: timesteps.length, timestep: t, tile: r.index + 1, tiles },
          }),
      };
      let next: tf.Tensor4D;
      if (plan.count > 1 && args.stepByRows === true) {
        // The step is elementwise: step each stretch of rows once its blend is final, so the
        // whole model output and the step's temporaries over the whole latent never exist.
        const parts: tf.Tensor4D[] = [];
        try {
          await blendTileRows(
            plan,
            evaluate,
            (start, rows) => {
              const zRows = tf.slice(z, [0, start, 0, 0], [-1, rows.shape[1], -1, -1]);
              let out;
              try {
                out = scheduler.step(rows, t, zRows);
              } finally {
                tf.dispose([rows, zRows]);
              }
              out.predOriginalSample.dispose();
              parts.push(tf.keep(out.prevSample as tf.Tensor4D));
            },
            hooks,
          );
          next = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
        } catch (error) {
          tf.dispose(parts);
          throw error;
        }
        if (parts.length > 1) tf.dispose(parts);
      } else {
        const modelOutput = await blendTiles(plan, evaluate, hooks);
        let step;
        try {
          step = scheduler.step(modelOutput, t, z);
        } finally {
          modelOutput.dispose();
        }
        step.predOriginalSample.dispose();
        next = step.prevSample as tf.Tensor4D;
      }
      z.dispose();
      z = next;
      args.onStepEnd?.({ step: i + 1, steps: timesteps.length, timestep: t, latents: z });
    }
    return z;
  } catch (error) {
    z.dispose();
    throw error;
  }
}

function defaultPredict(
  unet: Denoiser,
  z: tf.Tensor4D,
  condition: tf.Tensor4D,
  r: TileRegion,
  t: number,
  context: tf.Tensor3D | undefined,
): tf.Tensor4D {
  return tf.tidy(() => unet.forward(tf.concat([window(z, r), window(condition, r)], 3), t, context));
}

function predictWindow(predict: WindowPredictor, z: tf.Tensor4D, condition: tf.Tensor4D, r: TileRegion, t: number): tf.Tensor4D {
  const zWindow = window(z, r);
  const conditionWindow = window(condition, r);
  try {
    return predict(zWindow, conditionWindow, t);
  } finally {
    if (zWindow !== z) zWindow.dispose();
    if (conditionWindow !== condition) conditionWindow.dispose();
  }
}

function window(x: tf.Tensor4D, r: TileRegion): tf.Tensor4D {
  return r.y === 0 && r.x === 0 && r.height === x.shape[1] && r.width === x.shape[2]
    ? x
    : tf.slice(x, [0, r.y, r.x, 0], [-1, r.height, r.width, -1]);
}
