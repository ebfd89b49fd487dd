import { PipelineInputError } from './errors.js';

/**
 * The upscaling factor of a YONOS model when nothing names one: a `YonosPipeline` built without
 * `scale`, a `model_index.json` without `scale_factor`, and the default model when neither the
 * caller nor the `DefaultModelProvider` names a scale.
 */
export const DEFAULT_MODEL_SCALE = 4;

/** Whether `value` can be an upscaling factor: a positive finite number (output sides are `ceil(side * scale)`). */
export function isScale(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * Checks an upscaling factor where it enters the pipeline API (constructor, `fromPretrained`,
 * the default model, run options); code past these edges trusts it.
 * @param name How the caller spelled it, for the message.
 * @throws PipelineInputError unless `value` is a positive finite number.
 */
export function checkScale(value: unknown, name = 'scale'): number {
  if (!isScale(value)) throw new PipelineInputError(`${name} must be a positive number, got ${String(value)}.`);
  return value;
}

/** Options that name an upscaling factor: `scale`, or `scaleFactor`, its former name. */
export interface ScaleOptions {
  readonly scale?: number | undefined;
  readonly scaleFactor?: number | undefined;
}

/**
 * The factor `options` name: `scale`, else the deprecated `scaleFactor` (kept so that callers who
 * still pass it, which TypeScript cannot flag in plain JavaScript or in non-literal objects, do
 * not silently get the default factor). Not validated here: pass the result to {@link checkScale}.
 * @throws PipelineInputError when both are given and differ.
 */
export function requestedScale(options: ScaleOptions): number | undefined {
  const { scale, scaleFactor } = options;
  if (scale !== undefined && scaleFactor !== undefined && scale !== scaleFactor) {
    throw new PipelineInputError(`scale (${String(scale)}) and its deprecated name scaleFactor (${String(scaleFactor)}) differ: pass scale only.`);
  }
  return scale ?? scaleFactor;
}
