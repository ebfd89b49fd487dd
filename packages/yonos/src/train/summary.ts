import type { RunStageResult } from '@yonos/distill';
import type { TrainedModelSummary, TrainReporter } from './reporter.js';

/** Logs how a stage run starts. */
export function logStart(reporter: TrainReporter, label: string, target: number, steps: number, resume: 'auto' | string | false): void {
  const partial = target < steps ? ` (--max-steps: ${target} of ${steps})` : '';
  const from = resume === false ? 'from scratch' : resume === 'auto' ? 'resuming the latest checkpoint if any' : `resuming ${resume}`;
  reporter.log(`${label}: training to step ${target}${partial}, ${from}`);
}

/** The summary of a finished stage run, with the output folder if one was written. */
export function summarize(label: string, steps: number, result: RunStageResult, output: string | undefined): TrainedModelSummary {
  return {
    label,
    step: result.step,
    steps,
    status: result.status,
    lastLoss: result.lastLoss,
    resumedFrom: result.resumedFrom,
    output,
  };
}
