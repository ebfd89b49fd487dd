import { ImageFolder, RandomCropBatches } from '@yonos/distill';
import type { SrTrainConfig } from '@yonos/distill';
import type { Rng } from '@yonos/core';

/** The `data` section every stage config has. */
export type DataConfig = SrTrainConfig['data'];

/**
 * Seeded random crops of the training folder (`data.train`), as `RandomCropBatches`: batch `i`
 * depends only on the seed and `i`, so a resumed run sees the same crops. Skipped files are
 * reported through `warn` once each.
 */
export async function openTrainBatches(data: DataConfig, seed: Rng, warn: (line: string) => void): Promise<RandomCropBatches> {
  const folder = await ImageFolder.open(data.train, { cacheBytes: Math.round(data.cache_mb * 2 ** 20) });
  return new RandomCropBatches(folder, {
    batchSize: data.batch_size,
    cropSize: data.crop_size,
    seed,
    hflip: data.hflip,
    vflip: data.vflip,
    rot90: data.rot90,
    onSkip: (error) => warn(`warning: ${error.message}`),
  });
}
