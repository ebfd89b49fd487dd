import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@yonos/core';
import type { Module } from '@yonos/core/nn';
import type { DecoderTrainConfig, ImageFolder, SrTrainConfig, Stage } from '@yonos/distill';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { runToPipelineFolder } from './run-to-pipeline.js';
import { oneStepValidator } from './validation.js';
import type { OneStepUpscale } from './validation.js';

/** The parts of {@link runSrModelStage} that its stage command built. */
export interface SrModelStageRun {
  /** Names the run (`sr x2`, `decoder x4`). */
  readonly label: string;
  /** How the run resumes (`resolveResume`). */
  readonly resume: 'auto' | string | false;
  /** The run's random stream (`root.fork('train')`). */
  readonly rng: Rng;
  /** The pipeline's one-step upscale, which validation runs (the trained model among its models). */
  readonly upscale: OneStepUpscale;
  /** Writes the pipeline folder with the trained model. */
  readonly save: (dir: string) => Promise<void>;
  /** The held-out photographs (`openValidationFolder`), or none. */
  readonly heldOut: ImageFolder | undefined;
  /** The model the EMA averages, when it is not the U-Net (decoder fine-tuning: the codec). */
  readonly emaModule?: Module;
}

/**
 * What `yonos train sr` and `yonos train decoder` do once their stage is built: validate the
 * one-step pipeline on the held-out photographs (when the config names them) every
 * `validation.every` updates, and run the stage to a pipeline folder at `config.output`.
 */
export async function runSrModelStage<B extends tf.TensorContainer>(
  stage: Stage<B>,
  config: SrTrainConfig | DecoderTrainConfig,
  run: SrModelStageRun,
  options: TrainRunOptions,
): Promise<TrainedModelSummary> {
  const validate =
    run.heldOut !== undefined
      ? oneStepValidator({
          dataset: run.heldOut,
          validation: config.validation,
          scale: config.scale,
          upscale: run.upscale,
          samplesRoot: config.checkpoint.dir,
          ...(run.emaModule !== undefined ? { emaModule: run.emaModule } : {}),
        })
      : undefined;
  return await runToPipelineFolder(
    stage,
    config,
    {
      label: run.label,
      steps: config.steps,
      scale: config.scale,
      checkpointDir: config.checkpoint.dir,
      output: config.output,
      resume: run.resume,
      rng: run.rng,
      save: run.save,
      ...(validate !== undefined ? { validate } : {}),
    },
    options,
  );
}
