import type * as tf from '@tensorflow/tfjs-core';
import type { PretrainedModel, ProgressCallback, Rng } from '@yonos/core';
import { findLatestCheckpoint } from '../checkpoint/find.js';
import { loadCheckpoint } from '../checkpoint/load.js';
import { saveCheckpoint } from '../checkpoint/save.js';
import { TrainingArgumentError } from '../errors.js';
import { MetricsLog } from '../metrics-log.js';
import { GradientAccumulator } from '../optim/accumulate.js';
import type { AdamW } from '../optim/adamw.js';
import type { Ema } from '../optim/ema.js';
import { constantLr } from '../optim/schedule.js';
import type { LrSchedule } from '../optim/schedule.js';
import { RateMeter } from './rate.js';
import { runTrainStep } from './step.js';
import type { TrainTask } from './step.js';

/** What a validation callback gets. */
export interface ValidationContext {
  /** Updates done. */
  readonly step: number;
  /** `runRng.fork('validate:<step>')`, for any randomness validation needs (training's streams are untouched). */
  readonly rng: Rng;
  /** The run's EMA, if any (use `ema.withAveraged(...)` to validate the averaged weights). */
  readonly ema: Ema | undefined;
}

/** Options of {@link trainLoop}. */
export interface TrainLoopOptions<B extends tf.TensorContainer> {
  /** The objective: batch loader and loss closure. */
  readonly task: TrainTask<B>;
  /** Updates the variables it was built with (see `namedVariables`). */
  readonly optimizer: AdamW;
  /** Run until this many updates are done (counting those of a resumed checkpoint). */
  readonly maxSteps: number;
  /** The run generator: only forked per step, and saved/restored with checkpoints. */
  readonly rng: Rng;
  /** Learning rate per step (default: the optimizer's `lr`, constant). */
  readonly lr?: LrSchedule;
  /** Micro-batches per update (default 1). */
  readonly gradAccumulation?: number;
  /** Clip the global gradient norm to this (default: no clipping). */
  readonly clipNorm?: number;
  /** EMA of the weights, updated after every step and checkpointed. */
  readonly ema?: Ema;
  /** Models saved in checkpoints (diffusers layout) and restored on resume, by folder name. */
  readonly models?: Readonly<Record<string, PretrainedModel>>;
  /** Where checkpoints go; without it nothing is saved or resumed (except an explicit `resume` path). */
  readonly checkpointDir?: string;
  /** Save every this many steps (default 0: only at the end, and on abort). The last step is always saved. */
  readonly checkpointEvery?: number;
  /** Checkpoints kept (default 3). */
  readonly keepLast?: number;
  /** Save when stopped by `signal` (default `true`). */
  readonly checkpointOnAbort?: boolean;
  /**
   * `'auto'` (default): continue from the latest complete checkpoint in `checkpointDir`, if any,
   * after deleting leftovers of interrupted saves; a checkpoint folder path: continue from it;
   * `false`: start fresh (existing checkpoints are kept until pruned).
   */
  readonly resume?: 'auto' | string | false;
  /** Saved as `extra` in each checkpoint (a function is called at save time with the step). */
  readonly extra?: unknown;
  /** Run {@link TrainLoopOptions.validate} every this many steps (default 0: never). */
  readonly validateEvery?: number;
  /** Validation: returns metrics (e.g. `{ psnr, ssim }`), logged and reported as stage `'validate'`. */
  readonly validate?: (ctx: ValidationContext) => Record<string, number> | Promise<Record<string, number>>;
  /** Progress: stage `'train'` after every step (detail `loss`, `lr`, `gradNorm`, `stepsPerSecond`, `etaSeconds`), `'checkpoint'`, `'validate'`. */
  readonly onProgress?: ProgressCallback;
  /** JSONL metrics: a path (opened, truncated after the resumed step, closed at the end) or an open log. */
  readonly metricsLog?: string | MetricsLog;
  /** Log a training line every this many steps (default 1). */
  readonly logEvery?: number;
  /** Stops the run between steps (a checkpoint is saved first, see `checkpointOnAbort`). */
  readonly signal?: AbortSignal;
}

/** How a {@link trainLoop} run ended. */
export interface TrainLoopResult {
  /** Updates done. */
  readonly step: number;
  /** `'completed'` at `maxSteps`, `'aborted'` when stopped by the signal. */
  readonly status: 'completed' | 'aborted';
  /** The checkpoint the run continued from, if any. */
  readonly resumedFrom: string | undefined;
  /** `extra` of that checkpoint (`undefined` for a fresh run). */
  readonly resumedExtra: unknown;
  /** Loss of the last step this call ran (`undefined` if it ran none). */
  readonly lastLoss: number | undefined;
  /** The last checkpoint this call wrote. */
  readonly lastCheckpoint: string | undefined;
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new TrainingArgumentError(`trainLoop: ${name} must be a non-negative integer, got ${v}.`);
  return v;
}

function report(onProgress: ProgressCallback | undefined, event: Parameters<ProgressCallback>[0]): void {
  try {
    onProgress?.(event);
  } catch {
    // Progress callbacks must not throw; one that does must not kill a training run.
  }
}

/**
 * A generic, resumable training loop over a {@link TrainTask}: per step, accumulate gradients,
 * stop on a NaN/Inf loss or gradient (`NonFiniteLossError`, nothing saved after the
 * last good checkpoint), clip, AdamW with the scheduled learning rate, EMA; then report
 * progress, log metrics, checkpoint and validate on schedule.
 *
 * Resuming is exact: a run killed at any moment (even mid-save) and restarted with the same
 * options continues from the last complete checkpoint and produces bit-identical weights to an
 * uninterrupted run on the same backend, because everything a step depends on is restored
 * (weights, optimizer moments and step counts, EMA, the generator) or is a pure function of
 * the step (learning rate, the step's generator, the batch index).
 * @throws {@link TrainingArgumentError} for invalid options; `CheckpointError` for a `resume`
 *   path that is no checkpoint; whatever the task throws.
 */
export async function trainLoop<B extends tf.TensorContainer>(options: TrainLoopOptions<B>): Promise<TrainLoopResult> {
  const maxSteps = nonNegativeInt('maxSteps', options.maxSteps, 0);
  const checkpointEvery = nonNegativeInt('checkpointEvery', options.checkpointEvery, 0);
  const validateEvery = nonNegativeInt('validateEvery', options.validateEvery, 0);
  const logEvery = Math.max(1, nonNegativeInt('logEvery', options.logEvery, 1));
  const keepLast = options.keepLast ?? 3;
  if (!Number.isInteger(keepLast) || keepLast < 1) throw new TrainingArgumentError(`trainLoop: keepLast must be a positive integer, got ${keepLast}.`);
  const { task, optimizer, rng, ema, checkpointDir, onProgress, signal } = options;
  const models = options.models ?? {};
  const schedule = options.lr ?? constantLr(optimizer.lr);

  let step = 0;
  let resumedFrom: string | undefined;
  let resumedExtra: unknown;
  const resume = options.resume ?? 'auto';
  let target: string | undefined;
  if (resume === 'auto') {
    if (checkpointDir !== undefined) target = (await findLatestCheckpoint(checkpointDir, { cleanStale: true }))?.path;
  } else if (resume !== false) {
    target = resume;
  }
  if (target !== undefined) {
    const loaded = await loadCheckpoint(target, { models, optimizer, ...(ema !== undefined ? { ema } : {}), rng });
    step = loaded.step;
    resumedFrom = target;
    resumedExtra = loaded.extra;
  }

  const ownLog = typeof options.metricsLog === 'string';
  const log =
    typeof options.metricsLog === 'string' ? await MetricsLog.open(options.metricsLog, { truncateAfterStep: step }) : options.metricsLog;

  let lastSaved = resumedFrom !== undefined ? step : -1;
  let lastCheckpoint: string | undefined;
  const save = async (): Promise<void> => {
    if (checkpointDir === undefined || lastSaved === step) return;
    report(onProgress, { stage: 'checkpoint', completed: 0, total: 1, detail: { step } });
    const extra = typeof options.extra === 'function' ? (options.extra as (s: number) => unknown)(step) : options.extra;
    lastCheckpoint = await saveCheckpoint(
      checkpointDir,
      { step, models, optimizer, ...(ema !== undefined ? { ema } : {}), rngState: rng.getState(), extra },
      { keepLast },
    );
    lastSaved = step;
    report(onProgress, { stage: 'checkpoint', completed: 1, total: 1, detail: { step, path: lastCheckpoint } });
  };

  const accumulator = new GradientAccumulator(optimizer.variables);
  const meter = new RateMeter();
  meter.tick();
  let lastLoss: number | undefined;
  let status: TrainLoopResult['status'] = 'completed';
  try {
    await log?.append({ event: 'start', step, max_steps: maxSteps, resumed_from: resumedFrom ?? null, time: new Date().toISOString() });
    while (step < maxSteps) {
      if (signal?.aborted === true) {
        status = 'aborted';
        break;
      }
      const lr = schedule(step);
      let result;
      try {
        result = await runTrainStep({
          task,
          optimizer,
          accumulator,
          step,
          rng,
          lr,
          ...(options.gradAccumulation !== undefined ? { gradAccumulation: options.gradAccumulation } : {}),
          ...(options.clipNorm !== undefined ? { clipNorm: options.clipNorm } : {}),
          ...(ema !== undefined ? { ema } : {}),
        });
      } catch (error) {
        await log?.append({ event: 'error', step, message: (error as Error).message }).catch(() => undefined);
        throw error;
      }
      step += 1;
      lastLoss = result.loss;
      meter.tick();
      const stepsPerSecond = meter.stepsPerSecond;
      const etaSeconds = meter.etaSeconds(maxSteps - step);
      report(onProgress, {
        stage: 'train',
        completed: step,
        total: maxSteps,
        detail: { loss: result.loss, lr, gradNorm: result.gradNorm, stepsPerSecond, etaSeconds },
      });
      if (step % logEvery === 0 || step === maxSteps) {
        await log?.append({ step, loss: result.loss, lr, grad_norm: result.gradNorm, steps_per_second: stepsPerSecond, time: new Date().toISOString() });
      }
      if ((checkpointEvery > 0 && step % checkpointEvery === 0) || step === maxSteps) await save();
      if (options.validate !== undefined && validateEvery > 0 && step % validateEvery === 0) {
        const metrics = await options.validate({ step, rng: rng.fork(`validate:${step}`), ema });
        report(onProgress, { stage: 'validate', completed: 1, total: 1, detail: { step, ...metrics } });
        await log?.append({ event: 'validation', step, ...metrics });
      }
    }
    if (status === 'aborted' && (options.checkpointOnAbort ?? true)) await save();
    await log?.append({ event: status, step, time: new Date().toISOString() });
  } finally {
    accumulator.reset();
    if (ownLog) await log?.close();
  }
  return { step, status, resumedFrom, resumedExtra, lastLoss, lastCheckpoint };
}
