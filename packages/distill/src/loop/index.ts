export { runTrainStep } from './step.js';
export type { StepContext, TrainStepOptions, TrainStepResult, TrainTask } from './step.js';
export { trainLoop } from './train-loop.js';
export type { TrainLoopOptions, TrainLoopResult, ValidationContext } from './train-loop.js';
export { RateMeter } from './rate.js';
export { createProgressBar, formatDetailNumber, formatDuration, formatProgressLine } from './progress-bar.js';
export type { ProgressBarOptions, ProgressStream } from './progress-bar.js';
