import type * as tf from '@tensorflow/tfjs-core';
import type { PretrainedModel } from '@yonos/core';
import type { TrainTask } from '../loop/step.js';

/** The four YONOS training stages. */
export type StageName = 'vae' | 'sr' | 'distill' | 'decoder';

/**
 * One configured training stage: its objective and the one model it trains. Run it with
 * `runStage`. Only the model's trainable parameters (see `Module.freeze`) are optimized; every
 * other model the task uses stays bit-identical.
 */
export interface Stage<B extends tf.TensorContainer> {
  /** Which stage this is; recorded as `stage` in every checkpoint's `extra`. */
  readonly name: StageName;
  /** Batch loader and loss. */
  readonly task: TrainTask<B>;
  /** Checkpoint subfolder of the trained model (`'unet'` or `'vae'`, as in a pipeline folder). */
  readonly modelName: string;
  /** The trained model: optimized, averaged by EMA, saved in checkpoints. */
  readonly model: PretrainedModel;
}
