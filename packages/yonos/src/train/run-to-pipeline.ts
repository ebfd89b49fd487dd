import type * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, LatentCodec, NoiseScheduler } from '@yonos/core';
import { runStage } from '@yonos/distill';
import type { Stage } from '@yonos/distill';
import { writePipelineFolder } from './output.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { stageRunOptions, targetSteps } from './run-options.js';
import type { CommonConfig, RunSpecifics } from './run-options.js';
import { logStart, summarize } from './summary.js';

/** A U-Net training run (direct SR, a distillation link, decoder fine-tuning) that ends in a pipeline folder. */
export interface PipelineStageRun extends Omit<RunSpecifics, 'extra' | 'validateEvery'> {
  /** Names the run in the log and the summary (`sr x2`, `distill x4`). */
  readonly label: string;
  /** Added to the label in the start line only (`(teacher x2)`). */
  readonly note?: string;
  /** Scale factor: kept in every checkpoint for resume checks, and in the pipeline folder. */
  readonly scale: number;
  /** Folder the finished model is written to. */
  readonly output: string;
  /** What the pipeline folder is made of. */
  readonly models: { readonly vae: LatentCodec; readonly unet: Denoiser; readonly scheduler: NoiseScheduler; readonly residual?: boolean };
}

/**
 * Runs `stage` with the config's shared sections, then, if the run completed (not stopped by
 * `--max-steps` or an abort), writes the models as a `YonosPipeline` folder to `run.output`.
 * @returns The summary; its `output` is set only when the folder was written.
 */
export async function runToPipelineFolder<B extends tf.TensorContainer>(
  stage: Stage<B>,
  config: CommonConfig & { readonly validation: { readonly every: number } },
  run: PipelineStageRun,
  options: TrainRunOptions,
): Promise<TrainedModelSummary> {
  const started = run.note === undefined ? run.label : `${run.label} ${run.note}`;
  logStart(options.reporter, started, targetSteps(run.steps, options.maxSteps), run.steps, run.resume);
  const result = await runStage(
    stage,
    stageRunOptions(
      config,
      {
        steps: run.steps,
        checkpointDir: run.checkpointDir,
        resume: run.resume,
        rng: run.rng,
        extra: { scale: run.scale },
        ...(run.lr !== undefined ? { lr: run.lr } : {}),
        ...(run.validate !== undefined ? { validate: run.validate, validateEvery: config.validation.every } : {}),
      },
      options,
    ),
  );
  if (result.status !== 'completed') return summarize(run.label, run.steps, result, undefined);
  await writePipelineFolder(run.output, { ...run.models, scale: run.scale });
  return summarize(run.label, run.steps, result, run.output);
}
