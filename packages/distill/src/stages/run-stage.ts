import type * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@yonos/core';
import type { ProgressCallback, Rng } from '@yonos/core';
import { trainLoop } from '../loop/train-loop.js';
import type { TrainLoopResult, ValidationContext } from '../loop/train-loop.js';
import type { MetricsLog } from '../metrics-log.js';
import { namedVariables } from '../named-variables.js';
import { AdamW } from '../optim/adamw.js';
import type { AdamWOptions } from '../optim/adamw.js';
import { Ema } from '../optim/ema.js';
import type { EmaOptions } from '../optim/ema.js';
import { createLrSchedule } from '../optim/schedule.js';
import type { LrScheduleName } from '../optim/schedule.js';
import type { Stage, StageName } from './stage.js';

/** Options of {@link runStage}: the optimization and bookkeeping around a stage's objective. */
export interface RunStageOptions {
  /** Run until this many updates are done (counting those of a resumed checkpoint). */
  readonly maxSteps: number;
  /** Length of the LR schedule (default `maxSteps`); keep it fixed when a run is stopped early and resumed. */
  readonly totalSteps?: number;
  /** The run generator or its seed: every random draw of the run comes from its forks. */
  readonly seed: number | bigint | string | Rng;
  /** AdamW hyperparameters (`lr` is the peak of the schedule). */
  readonly optimizer?: AdamWOptions;
  /** diffusers' schedule name (default `'constant'`). */
  readonly lrSchedule?: LrScheduleName;
  /** Linear warmup steps (default 0). */
  readonly warmupSteps?: number;
  /** Clip the global gradient norm to this (default: no clipping). */
  readonly clipNorm?: number;
  /** Micro-batches per update (default 1). */
  readonly gradAccumulation?: number;
  /** EMA of the trained model's weights (default: none). */
  readonly ema?: EmaOptions;
  /**
   * When the run completes and has an EMA, copy the averaged weights into the model at the end,
   * so what is saved or distilled next is the EMA model (default `true`, as diffusers' scripts save).
   */
  readonly useEmaWeights?: boolean;
  /** Where checkpoints go (see `trainLoop`). */
  readonly checkpointDir?: string;
  /** Save every this many steps (default 0: only at the end, and when stopped by `signal`). */
  readonly checkpointEvery?: number;
  /** Checkpoints kept: the newest ones by step (default 3). */
  readonly keepLast?: number;
  /** `'auto'` (default), a checkpoint path, or `false`. */
  readonly resume?: 'auto' | string | false;
  /** Stored in every checkpoint's `extra`, next to `stage` (the stage name). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Run {@link RunStageOptions.validate} every this many steps (default 0: never). */
  readonly validateEvery?: number;
  /** Validation: returns metrics (e.g. `{ psnr, ssim }`), logged and reported as progress stage `'validate'`. */
  readonly validate?: (ctx: ValidationContext) => Record<string, number> | Promise<Record<string, number>>;
  /** JSONL metrics: a path (opened, truncated after the resumed step, closed at the end) or an open log. */
  readonly metricsLog?: string | MetricsLog;
  /** Log a training line every this many steps (default 1). */
  readonly logEvery?: number;
  /** Progress events: stage `'train'` after every step (`loss`, `lr`, `gradNorm`, `stepsPerSecond`, `etaSeconds`), `'checkpoint'`, `'validate'`. */
  readonly onProgress?: ProgressCallback;
  /** Stops the run between steps (saving a checkpoint first when `checkpointDir` is set); the result's `status` is then `'aborted'`. */
  readonly signal?: AbortSignal;
}

/** How a {@link runStage} call ended. */
export interface RunStageResult extends TrainLoopResult {
  /** The stage that ran (`stage.name`). */
  readonly stage: StageName;
  /** Whether the model now holds the EMA weights. */
  readonly emaApplied: boolean;
}

/**
 * Trains a stage's model with AdamW on the stage's objective through `trainLoop`: scheduled
 * learning rate, clipping, accumulation, EMA, checkpoints of the model (as
 * `checkpoint-<step>/<modelName>/`, diffusers layout), optimizer and EMA, exact resume, validation.
 * Only the model's trainable parameters are optimized. The optimizer and EMA are freed before
 * returning; the model keeps its (final or EMA) weights.
 * @throws Whatever `trainLoop` throws (`TrainingArgumentError`, `NonFiniteLossError`, `CheckpointError`...).
 */
export async function runStage<B extends tf.TensorContainer>(stage: Stage<B>, options: RunStageOptions): Promise<RunStageResult> {
  const rng = typeof options.seed === 'object' ? options.seed : createRng(options.seed);
  const optimizer = new AdamW(namedVariables({ [stage.modelName]: stage.model }), options.optimizer ?? {});
  const ema = options.ema !== undefined ? new Ema(stage.model, options.ema) : undefined;
  try {
    const lr = createLrSchedule(options.lrSchedule ?? 'constant', optimizer.lr, {
      warmupSteps: options.warmupSteps ?? 0,
      totalSteps: options.totalSteps ?? options.maxSteps,
    });
    const result = await trainLoop<B>({
      task: stage.task,
      optimizer,
      rng,
      maxSteps: options.maxSteps,
      lr,
      models: { [stage.modelName]: stage.model },
      extra: { ...options.extra, stage: stage.name },
      ...(ema !== undefined ? { ema } : {}),
      ...pick(options, [
        'gradAccumulation',
        'clipNorm',
        'checkpointDir',
        'checkpointEvery',
        'keepLast',
        'resume',
        'validateEvery',
        'validate',
        'metricsLog',
        'logEvery',
        'onProgress',
        'signal',
      ]),
    });
    const emaApplied = ema !== undefined && result.status === 'completed' && (options.useEmaWeights ?? true);
    if (emaApplied) ema.copyTo(stage.model);
    return { ...result, stage: stage.name, emaApplied };
  } finally {
    optimizer.dispose();
    ema?.dispose();
  }
}

/** The entries of `o` named in `keys` whose values are defined (exactOptionalPropertyTypes-safe spreading). */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
