import { z } from 'zod';

/**
 * `--scale`, the upscaling factor, as `yonos upscale`, `degrade` and `eval` take it: a whole
 * number from 1 to 64 (the commands name folders and files `x<N>` and `_x<N>` after it). The
 * library's own check (`checkScale` of `@yonos/sampler`) runs where the factor reaches a pipeline.
 */
export const scaleOption = z.coerce
  .number({ error: '--scale must be a number' })
  .int({ error: '--scale must be a whole number such as 2, 4 or 8' })
  .min(1, { error: '--scale must be at least 1' })
  .max(64, { error: '--scale must be at most 64' });
