/**
 * The concrete wiring of `@yonos/distill`'s training stages for `yonos train`: models built or
 * loaded from a JSON config (`AutoencoderKL`, `UNet2DConditionModel` / `UNet2DModel`,
 * `DDIMScheduler`), degradations from `@yonos/degrade`, validation through `YonosPipeline`, and
 * the trained models written as diffusers folders.
 * @module
 */
import { readTrainConfig } from '@yonos/distill';
import type { TrainConfigs, TrainStageName } from '@yonos/distill';
import { registerPretrainedClasses } from '../register.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { trainDecoder } from './train-decoder.js';
import { trainDistill } from './train-distill.js';
import { trainSr } from './train-sr.js';
import { trainVae } from './train-vae.js';

export type { TrainedModelSummary, TrainReporter, TrainRunOptions } from './reporter.js';
export { TrainSetupError } from './errors.js';
export { trainDecoder, trainDistill, trainSr, trainVae };

/** A parsed config of any stage, with its stage name. */
export type StageConfig = { [S in TrainStageName]: { readonly stage: S; readonly config: TrainConfigs[S] } }[TrainStageName];

/**
 * Reads and validates the config file of `stage` (relative paths in it are relative to the file).
 * @throws `TrainingConfigError` naming the file, and each key with what is expected.
 */
export async function readStageConfig(stage: TrainStageName, file: string): Promise<StageConfig> {
  switch (stage) {
    case 'vae':
      return { stage, config: await readTrainConfig(stage, file) };
    case 'sr':
      return { stage, config: await readTrainConfig(stage, file) };
    case 'distill':
      return { stage, config: await readTrainConfig(stage, file) };
    case 'decoder':
      return { stage, config: await readTrainConfig(stage, file) };
  }
}

/**
 * Trains what a validated config describes: one model for `vae`, `sr` and `decoder`, the
 * whole chain (and its x2 teacher if configured) for `distill`.
 * @returns One summary per trained model, in training order.
 * @throws `TrainSetupError` for models, data or checkpoints that do not fit the config;
 *   training errors (`NonFiniteLossError`...).
 */
export async function trainStage(stage: StageConfig, options: TrainRunOptions): Promise<TrainedModelSummary[]> {
  registerPretrainedClasses();
  switch (stage.stage) {
    case 'vae':
      return [await trainVae(stage.config, options)];
    case 'sr':
      return [await trainSr(stage.config, options)];
    case 'distill':
      return trainDistill(stage.config, options);
    case 'decoder':
      return [await trainDecoder(stage.config, options)];
  }
}
