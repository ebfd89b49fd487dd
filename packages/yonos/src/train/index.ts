/**
 * The concrete wiring of `@yonos/distill`'s training stages for `yonos train`: models built or
 * loaded from a JSON config (`AutoencoderKL`, `UNet2DConditionModel` / `UNet2DModel`,
 * `DDIMScheduler`), degradations from `@yonos/degrade`, validation through `YonosPipeline` (or a
 * Stable Diffusion x4 upscaler folder's pipeline, for decoder fine-tuning on one), and the
 * trained models written as diffusers folders.
 * @module
 */
import { readTrainConfig } from '@yonos/distill';
import type { TrainConfigs, TrainStageName } from '@yonos/distill';
import '../model-classes.js';
import { checkStageInputs, withFolderOverrides } from './folders.js';
import type { FolderOverrides } from './folders.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { trainDecoder } from './train-decoder.js';
import { trainDistill } from './train-distill.js';
import { trainSr } from './train-sr.js';
import { trainVae } from './train-vae.js';

export type { TrainedModelSummary, TrainReporter, TrainRunOptions } from './reporter.js';
export { TrainSetupError } from './errors.js';
export { checkStageInputs, withFolderOverrides } from './folders.js';
export type { FolderOverrides, StageInputs } from './folders.js';
export { trainDecoder, trainDistill, trainSr, trainVae };

/** A parsed config of any stage, with its stage name and, when read from a file, the file. */
export type StageConfig = { [S in TrainStageName]: { readonly stage: S; readonly config: TrainConfigs[S]; readonly file?: string } }[TrainStageName];

/**
 * Reads and validates the config file of `stage` (relative paths in it are relative to the file).
 * @throws `TrainingConfigError` naming the file, and each key with what is expected.
 */
export async function readStageConfig(stage: TrainStageName, file: string): Promise<StageConfig> {
  switch (stage) {
    case 'vae':
      return { stage, config: await readTrainConfig(stage, file), file };
    case 'sr':
      return { stage, config: await readTrainConfig(stage, file), file };
    case 'distill':
      return { stage, config: await readTrainConfig(stage, file), file };
    case 'decoder':
      return { stage, config: await readTrainConfig(stage, file), file };
  }
}

/**
 * The stage config with the command line's `--output` and `--checkpoint-dir` in place of its
 * `output` and `checkpoint.dir` (see {@link withFolderOverrides}).
 */
export function overrideStageFolders(stage: StageConfig, overrides: FolderOverrides): StageConfig {
  return { ...stage, config: withFolderOverrides(stage.config, overrides) } as StageConfig;
}

/**
 * Trains what a validated config describes: one model for `vae`, `sr` and `decoder`, the
 * whole chain (and its x2 teacher if configured) for `distill`.
 * First checks that the folders it reads exist (see {@link checkStageInputs}), so a missing
 * `data/train` or model folder is reported, with the command that makes it, before any work.
 * @returns One summary per trained model, in training order.
 * @throws `TrainSetupError` for missing inputs, and for models, data or checkpoints that do not
 *   fit the config; training errors (`NonFiniteLossError`...).
 */
export async function trainStage(stage: StageConfig, options: TrainRunOptions): Promise<TrainedModelSummary[]> {
  await checkStageInputs(stage.config, stage.file);
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
