import { TrainingArgumentError } from '../errors.js';

/**
 * A learning rate as a pure function of the step: `step` is the number of optimizer
 * updates already done (0 for the first update), as PyTorch's `LambdaLR` counts. Being a
 * pure function, it needs no state in a checkpoint.
 */
export type LrSchedule = (step: number) => number;

/** Names of the schedules, as diffusers' `get_scheduler` spells them. */
export type LrScheduleName = 'constant' | 'constant_with_warmup' | 'cosine' | 'linear';

/** Options of the schedule factories. */
export interface LrScheduleOptions {
  /** Steps of linear warmup from 0 (default 0): update `s < warmupSteps` uses `lr * s / warmupSteps`. */
  readonly warmupSteps?: number;
  /** Total updates of the run (needed by `cosine` and `linear`). */
  readonly totalSteps?: number;
  /** Cosine periods over the decay (default 0.5: one half cosine from `lr` to 0). */
  readonly numCycles?: number;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new TrainingArgumentError(`LR schedule: step must be a non-negative integer, got ${step}.`);
}

function checkNonNegativeInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new TrainingArgumentError(`LR schedule: ${name} must be a non-negative integer, got ${value}.`);
}

function checkLr(lr: number): void {
  if (!Number.isFinite(lr) || lr < 0) throw new TrainingArgumentError(`LR schedule: lr must be finite and >= 0, got ${lr}.`);
}

/** The warmup factor `s / max(1, warmup)` below `warmup`, else `undefined` (diffusers' formula). */
function warmupFactor(step: number, warmup: number): number | undefined {
  return step < warmup ? step / Math.max(1, warmup) : undefined;
}

/** `lr` at every step after an optional linear warmup (diffusers' `constant` / `constant_with_warmup`). */
export function constantLr(lr: number, options: Pick<LrScheduleOptions, 'warmupSteps'> = {}): LrSchedule {
  checkLr(lr);
  const warmup = options.warmupSteps ?? 0;
  checkNonNegativeInt('warmupSteps', warmup);
  return (step) => {
    checkStep(step);
    return lr * (warmupFactor(step, warmup) ?? 1);
  };
}

/**
 * Linear warmup, then cosine decay (diffusers' `get_cosine_schedule_with_warmup`):
 * `lr * max(0, (1 + cos(2 pi numCycles p)) / 2)` with `p = (s - warmup) / max(1, total - warmup)`.
 * @throws {@link TrainingArgumentError} if `totalSteps` is missing or the numbers are invalid.
 */
export function cosineLr(lr: number, options: LrScheduleOptions): LrSchedule {
  checkLr(lr);
  const warmup = options.warmupSteps ?? 0;
  const total = requireTotal(options);
  const cycles = options.numCycles ?? 0.5;
  checkNonNegativeInt('warmupSteps', warmup);
  if (!Number.isFinite(cycles) || cycles < 0) throw new TrainingArgumentError(`LR schedule: numCycles must be >= 0, got ${cycles}.`);
  return (step) => {
    checkStep(step);
    const w = warmupFactor(step, warmup);
    if (w !== undefined) return lr * w;
    const progress = (step - warmup) / Math.max(1, total - warmup);
    return lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
  };
}

/** Linear warmup, then linear decay to 0 at `totalSteps` (diffusers' `get_linear_schedule_with_warmup`). */
export function linearLr(lr: number, options: LrScheduleOptions): LrSchedule {
  checkLr(lr);
  const warmup = options.warmupSteps ?? 0;
  const total = requireTotal(options);
  checkNonNegativeInt('warmupSteps', warmup);
  return (step) => {
    checkStep(step);
    const w = warmupFactor(step, warmup);
    if (w !== undefined) return lr * w;
    return lr * Math.max(0, (total - step) / Math.max(1, total - warmup));
  };
}

function requireTotal(options: LrScheduleOptions): number {
  const total = options.totalSteps;
  if (total === undefined || !Number.isInteger(total) || total < 0) {
    throw new TrainingArgumentError(`LR schedule: totalSteps must be a non-negative integer, got ${total}.`);
  }
  return total;
}

/**
 * A schedule by its diffusers name, for configs and the command line.
 * @throws {@link TrainingArgumentError} for an unknown name or invalid options.
 */
export function createLrSchedule(name: LrScheduleName, lr: number, options: LrScheduleOptions = {}): LrSchedule {
  switch (name) {
    case 'constant':
      return constantLr(lr);
    case 'constant_with_warmup':
      return constantLr(lr, options);
    case 'cosine':
      return cosineLr(lr, options);
    case 'linear':
      return linearLr(lr, options);
    default:
      throw new TrainingArgumentError(
        `Unknown LR schedule '${String(name)}': use constant, constant_with_warmup, cosine or linear.`,
      );
  }
}
