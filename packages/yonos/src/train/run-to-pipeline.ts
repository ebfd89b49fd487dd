import type * as tf from '@tensorflow/tfjs-core';
import { runStage } from '@yonos/distill';
import type { Stage } from '@yonos/distill';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { stageRunOptions, targetSteps } from './run-options.js';
import type { CommonConfig, RunSpecifics } from './run-options.js';
import { logStart, summarize } from './summary.js';

/** A training run (direct SR, a distillation link, decoder fine-tuning) that ends in a pipeline folder. */
export interface PipelineStageRun extends Omit<RunSpecifics, 'extra' | 'validateEvery'> {
  /** Names the run in the log and the summary (`sr x2`, `distill x4`). */
  readonly label: string;
  /** Added to the label in the start line only (`(teacher x2)`). */
  readonly note?: string;
  /** Scale factor: kept in every checkpoint for resume checks, and in the pipeline folder. */
  readonly scale: number;
  /** Folder the finished model is written to. */
  readonly output: string;
  /** Writes the pipeline folder with the trained model (`writePipelineFolder` for a YONOS pipeline). */
  readonly save: (dir: string) => Promise<void>;
}

/**
 * Runs `stage` with the config's shared sections, then, if the run completed (not stopped by
 * `--max-steps` or an abort), writes the pipeline folder to `run.output` with `run.save`.
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
  await run.save(run.output);
  return summarize(run.label, run.steps, result, run.output);
}
