// A U-Net from a pipeline folder must be used with the residual setting it was trained with.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkResidualMatches } from '../src/train/residual-check.js';
import { TrainSetupError } from '../src/train/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'yonos-residual-'));
  for (const [name, index] of [['res', { residual: true }], ['plain', {}]] as const) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'model_index.json'), JSON.stringify({ _class_name: 'YonosPipeline', ...index }));
  }
  await mkdir(join(dir, 'bare'), { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkResidualMatches', () => {
  test('passes a matching pipeline folder and a folder without model_index.json', async () => {
    await expect(checkResidualMatches({ pretrained: join(dir, 'res') }, true, 'teacher')).resolves.toBeUndefined();
    await expect(checkResidualMatches({ pretrained: join(dir, 'plain') }, false, 'teacher')).resolves.toBeUndefined();
    await expect(checkResidualMatches({ pretrained: join(dir, 'bare') }, true, 'teacher')).resolves.toBeUndefined();
  });

  test('refuses a mismatch either way, naming the key and the fix', async () => {
    await expect(checkResidualMatches({ pretrained: join(dir, 'res') }, false, 'teacher')).rejects.toThrow(TrainSetupError);
    await expect(checkResidualMatches({ pretrained: join(dir, 'res') }, false, 'teacher')).rejects.toThrow(/teacher: .* residual true .* set "residual": true/);
    await expect(checkResidualMatches({ pretrained: join(dir, 'plain') }, true, 'models.unet')).rejects.toThrow(/models\.unet: .* residual false/);
  });
});
