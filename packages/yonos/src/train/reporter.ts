import type { ProgressCallback } from '@yonos/core';

/** Where a training run reports to: the progress bar, and lines that must stay visible. */
export interface TrainReporter {
  /** Steps, checkpoints, validations (stage `'train'`, `'checkpoint'`, `'validate'`). */
  readonly progress: ProgressCallback;
  /** A line for the user (stage starts, warnings, where the output went). */
  log(line: string): void;
}

/** Options every `yonos train` stage accepts from the command line. */
export interface TrainRunOptions {
  /** `--max-steps`: stop after this many steps (at most the config's); the LR schedule still spans the config's steps. */
  readonly maxSteps?: number;
  /** `--resume`. */
  readonly resume?: 'auto' | string | undefined;
  readonly reporter: TrainReporter;
  /** Stops between steps, after saving a checkpoint. */
  readonly signal?: AbortSignal;
}

/** What one trained model ended as. */
export interface TrainedModelSummary {
  /** e.g. `'sr x2'`, `'distill x4'`. */
  readonly label: string;
  /** Steps done. */
  readonly step: number;
  /** Steps the config asks for. */
  readonly steps: number;
  readonly status: 'completed' | 'aborted';
  readonly lastLoss: number | undefined;
  readonly resumedFrom: string | undefined;
  /** The folder written (`undefined` when stopped before the end). */
  readonly output: string | undefined;
}
