import type { NoiseScheduler } from '@yonos/core';
import { PipelineInputError } from '../pipeline/errors.js';
import type { TimestepSpacing } from '../schedulers/index.js';

/**
 * The scheduler of an upscaler run with `timestepSpacing`: the pipeline's own when the run asks
 * for no other spacing (or for its own), else a copy with that spacing, built from its diffusers
 * config with its class's static `fromConfig` (as `DDIMScheduler` has).
 * @throws PipelineInputError for a scheduler without a config or `fromConfig`.
 */
export function schedulerWithSpacing(scheduler: NoiseScheduler, spacing: TimestepSpacing | undefined): NoiseScheduler {
  const s = scheduler as NoiseScheduler & { config?: { timestep_spacing?: unknown } };
  if (spacing === undefined || s.config?.timestep_spacing === spacing) return scheduler;
  const cls = s.constructor as { fromConfig?: (config: unknown) => NoiseScheduler };
  if (typeof s.config !== 'object' || typeof cls.fromConfig !== 'function') {
    throw new PipelineInputError(
      `timestepSpacing needs a scheduler with a diffusers config and a static fromConfig (as DDIMScheduler); ${s.constructor.name} has none.`,
    );
  }
  return cls.fromConfig({ ...s.config, timestep_spacing: spacing });
}
