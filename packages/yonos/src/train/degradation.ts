import type { Degradation } from '@yonos/core';
import type { DegradationConfig } from '@yonos/distill';
import { BicubicDegradation, REALESRGAN_DEFAULTS, RealESRGANDegradation } from '@yonos/degrade';
import type { RealESRGANOptions } from '@yonos/degrade';
import { TrainSetupError } from './errors.js';

/**
 * The degradation a config's `degradation` section describes: MATLAB bicubic, or Real-ESRGAN's
 * second-order pipeline with `options` overriding its published defaults.
 * @throws {@link TrainSetupError} for an unknown Real-ESRGAN option or a value it rejects.
 */
export function createDegradation(config: DegradationConfig): Degradation {
  if (config.type === 'bicubic') return new BicubicDegradation({ antialiasing: config.antialiasing, quantize: config.quantize });
  const known = new Set(Object.keys(REALESRGAN_DEFAULTS));
  const unknown = Object.keys(config.options).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new TrainSetupError(
      `degradation.options: unknown Real-ESRGAN option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the options are ${[...known].join(', ')}.`,
    );
  }
  try {
    return new RealESRGANDegradation(config.options as RealESRGANOptions);
  } catch (cause) {
    throw new TrainSetupError(`degradation.options: ${(cause as Error).message}`, { cause });
  }
}
