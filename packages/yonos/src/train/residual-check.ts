import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSource } from '@yonos/distill';
import { TrainSetupError } from './errors.js';

/**
 * Checks that a U-Net read from a pipeline folder was trained with the config's `residual`
 * (its `model_index.json`), since a residual U-Net used as a plain one (or the reverse) would
 * train on the wrong target without any error. Sources that are not pipeline folders have no
 * record and pass.
 * @param key The config key, for the message (`teacher`, `models.unet`).
 * @throws {@link TrainSetupError} on a mismatch.
 */
export async function checkResidualMatches(source: ModelSource, residual: boolean, key: string): Promise<void> {
  if (source.pretrained === undefined || (source.subfolder !== undefined && source.subfolder !== 'unet')) return;
  const indexPath = join(source.pretrained, 'model_index.json');
  const isFile = await stat(indexPath).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) return;
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { residual?: unknown };
  const trained = index.residual === true;
  if (trained !== residual) {
    throw new TrainSetupError(
      `${key}: ${source.pretrained} was trained with residual ${trained} but this config says residual ${residual}; set "residual": ${trained} (the U-Net's target depends on it).`,
    );
  }
}
