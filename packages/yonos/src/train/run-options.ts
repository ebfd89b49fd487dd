import { join } from 'node:path';
import type { Rng } from '@yonos/core';
import type { RunStageOptions, SrTrainConfig } from '@yonos/distill';
import type { TrainRunOptions } from './reporter.js';

/** The sections every stage config shares. */
export type CommonConfig = Pick<SrTrainConfig, 'optimizer' | 'ema' | 'checkpoint' | 'metrics_log'>;

/** Per-run values that are not in the shared sections. */
export interface RunSpecifics {
  /** Steps the config asks for (the LR schedule's length). */
  readonly steps: number;
  /** Where this run's checkpoints go (a chain link uses a subfolder of `checkpoint.dir`). */
  readonly checkpointDir: string;
  /** The resolved `--resume` (see `resolveResume`). */
  readonly resume: 'auto' | string | false;
  /** The run generator. */
  readonly rng: Rng;
  /** Saved in each checkpoint's `extra` (the scale, for resume checks). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Peak learning rate override (a chain link's `lr`). */
  readonly lr?: number;
  readonly validate?: RunStageOptions['validate'];
  readonly validateEvery?: number;
}

/** Steps a run goes to: the config's, or fewer with `--max-steps`. */
export function targetSteps(steps: number, maxSteps: number | undefined): number {
  return maxSteps === undefined ? steps : Math.min(steps, maxSteps);
}

/** `runStage` options from a config's shared sections, the run's specifics and the command-line options. */
export function stageRunOptions(config: CommonConfig, run: RunSpecifics, options: TrainRunOptions): RunStageOptions {
  const o = config.optimizer;
  const ema = config.ema;
  return {
    seed: run.rng,
    maxSteps: targetSteps(run.steps, options.maxSteps),
    totalSteps: run.steps,
    optimizer: { lr: run.lr ?? o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay },
    lrSchedule: o.schedule,
    warmupSteps: o.warmup_steps,
    ...(o.clip_norm !== null ? { clipNorm: o.clip_norm } : {}),
    gradAccumulation: o.grad_accumulation,
    ...(ema !== null
      ? {
          ema: {
            decay: ema.decay,
            minDecay: ema.min_decay,
            updateAfterStep: ema.update_after_step,
            useEmaWarmup: ema.use_ema_warmup,
            invGamma: ema.inv_gamma,
            power: ema.power,
          },
        }
      : {}),
    checkpointDir: run.checkpointDir,
    checkpointEvery: config.checkpoint.every,
    keepLast: config.checkpoint.keep,
    resume: run.resume,
    metricsLog: config.metrics_log !== undefined && run.checkpointDir === config.checkpoint.dir ? config.metrics_log : join(run.checkpointDir, 'metrics.jsonl'),
    onProgress: options.reporter.progress,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(run.extra !== undefined ? { extra: run.extra } : {}),
    ...(run.validate !== undefined ? { validate: run.validate, validateEvery: run.validateEvery ?? 0 } : {}),
  };
}
