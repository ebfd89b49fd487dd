import type * as tf from '@tensorflow/tfjs-core';
import type { LatentCodec } from '@yonos/core';
import type { LatentMode } from './conditioning.js';
import type { LossWeighting } from './noise.js';
import type { HrBatchSource, TrainingScheduler } from './types.js';

/**
 * How a diffusion stage measures its loss: the knobs the `loss` and `residual` entries of a
 * training config set (`diffusionLossOptions` maps them), shared by direct SR and scale
 * distillation.
 */
export interface DiffusionLossOptions {
  /** Min-SNR-gamma weighting (5 is usual); default none (plain MSE). */
  readonly snrGamma?: number;
  /** Measure the MSE on the prediction (default) or on the implied `x_0` (`'x0'`, see `x0Weights`); `'x0'` excludes `snrGamma`. */
  readonly weighting?: LossWeighting;
  /**
   * Residual diffusion (`YonosPipeline`'s `residual`): the U-Net learns `z_0 - z_lr` instead of
   * `z_0` (in distillation, teacher and student each of their own condition). Default `false`.
   */
  readonly residual?: boolean;
  /** Train on timesteps in `[first, last]` only (default all): `[T-1, T-1]` trains just what one-step inference uses. */
  readonly timestepRange?: readonly [number, number];
  /** Share of items trained on the range's last timestep, the rest uniform (default 0; see `drawTimesteps`). */
  readonly lastTimestepShare?: number;
  /**
   * Loss weight of the items not at the range's last timestep, relative to those at it, in
   * `(0, 1]` (default 1; see `mixtureWeights`): with `lastTimestepShare`, how much the uniform
   * part of the mixture steers the update.
   */
  readonly uniformTimestepWeight?: number;
  /**
   * Weight of a pixel term added to the latent loss (default 0: none): the L1 between the
   * image decoded from the prediction's `x_0` estimate and the HR crop (direct SR) or the
   * image decoded from the teacher's (scale distillation), each item weighted 1 at the range's
   * last timestep and `uniformTimestepWeight` elsewhere. The frozen decoder then runs forward
   * and backward every step.
   */
  readonly pixelWeight?: number;
  /** Per-latent-channel loss weights (`decoderChannelWeights` makes the loss track pixel error); default all 1. */
  readonly channelWeights?: readonly number[];
  /** How `z_0` comes from the HR posterior (default `'sample'`, as diffusers trains). */
  readonly latentMode?: LatentMode;
}

/** What every diffusion stage ({@link createSrStage}, {@link createDistillStage}) is given besides its networks. */
export interface DiffusionStageOptions extends DiffusionLossOptions {
  /** The frozen latent codec (its weights never change here). */
  readonly codec: LatentCodec;
  /** Noise schedule and prediction type (v-prediction for YONOS); a teacher must have been trained with the same. */
  readonly scheduler: TrainingScheduler;
  /** HR crops, NHWC float32 in `[0, 1]`; sides divisible by `scale` and by the latent grid. */
  readonly data: HrBatchSource;
  /** The upscaling factor trained for (2, 4, 8...). */
  readonly scale: number;
  /** Cross-attention context `[1 or N, L, D]`; default the pipeline's null context (zeros `[N, 1, D]`). Not disposed. */
  readonly context?: tf.Tensor3D;
}
