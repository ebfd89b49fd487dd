import type { OneStepLatentSource, TrainableCodec } from '@yonos/distill';
import type { OneStepUpscale } from './validation.js';

/**
 * What decoder fine-tuning works on, whatever the one-step model: the codec whose decoder is
 * tuned, the frozen model's one-step latents, its one-step upscale (for validation) and how
 * the result is written. `yonosDecoderTarget` and `upscalerDecoderTarget` make one.
 */
export interface DecoderTarget {
  /** The codec whose decoder is tuned (its other parameters are frozen by the stage). */
  readonly codec: TrainableCodec;
  /** The frozen one-step model's latents, the decoder's inputs. */
  readonly oneStepLatent: OneStepLatentSource;
  /** The whole one-step upscale with the codec being tuned, which validation runs. */
  readonly upscale: OneStepUpscale;
  /** Writes the pipeline folder with the tuned codec, of the kind the model came from. */
  save(dir: string): Promise<void>;
  /** Frees the models. */
  dispose(): void;
}
