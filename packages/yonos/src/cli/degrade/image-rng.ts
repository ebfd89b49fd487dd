import { createRng } from '@yonos/core';
import type { Rng } from '@yonos/core';

/**
 * The generator for one image: a fork of the run's seed keyed by the file name, so a rerun
 * reproduces each image's LR whatever other files the folder gains or loses.
 * @param seed The run's `--seed`.
 * @param fileName The input's file name (without folder).
 */
export function imageRng(seed: number, fileName: string): Rng {
  return createRng(seed).fork(`yonos-degrade:${fileName}`);
}
