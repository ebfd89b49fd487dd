import type { Degradation } from '@yonos/core';
import { BicubicDegradation, RealESRGANDegradation } from '@yonos/degrade';

/** The degradations `yonos degrade --pipeline` offers. */
export const PIPELINES = ['bicubic', 'realesrgan'] as const;

/** One of {@link PIPELINES}. */
export type PipelineName = (typeof PIPELINES)[number];

/**
 * The degradation for a pipeline name: MATLAB bicubic (8-bit quantized), or Real-ESRGAN's
 * second-order pipeline with its published x4plus settings.
 */
export function createDegradation(name: PipelineName): Degradation {
  return name === 'bicubic' ? new BicubicDegradation() : new RealESRGANDegradation();
}
