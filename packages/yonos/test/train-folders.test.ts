// `yonos train`'s folder overrides (--output, --checkpoint-dir) and the check of the folders a
// config reads, whose messages name the command that makes a missing one. No training here.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readTrainConfig } from '@yonos/distill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStageInputs, TrainSetupError, withFolderOverrides } from '../src/train/index.js';
import { TINY_UNET, TINY_VAE, common, writeConfig } from './train-fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'yonos-train-folders-'));
  await mkdir(join(dir, 'train'));
  await mkdir(join(dir, 'val'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withFolderOverrides', () => {
  it('replaces output and checkpoint.dir (relative to the working directory); the metrics log follows the checkpoints', async () => {
    const file = await writeConfig(dir, 'vae-a', { ...common('runs/a', 2), models: { vae: { config: TINY_VAE } }, metrics_log: 'runs/a/checkpoints/logs/m.jsonl' });
    const config = await readTrainConfig('vae', file);
    expect(config.output).toBe(join(dir, 'runs/a/final'));
    expect(withFolderOverrides(config, {})).toBe(config);
    const moved = withFolderOverrides(config, { output: 'elsewhere/final', checkpointDir: join(dir, 'b', 'ckpt') });
    expect(moved.output).toBe(resolve('elsewhere/final'));
    expect(moved.checkpoint).toEqual({ ...config.checkpoint, dir: join(dir, 'b', 'ckpt') });
    expect(moved.metrics_log).toBe(join(dir, 'b', 'ckpt', 'logs', 'm.jsonl'));
    // The config read is not changed.
    expect(config.checkpoint.dir).toBe(join(dir, 'runs/a/checkpoints'));
    // A log outside the old checkpoint folder is not shared by two runs either.
    const outside = withFolderOverrides({ ...config, metrics_log: join(dir, 'all.jsonl') }, { checkpointDir: join(dir, 'c') });
    expect(outside.metrics_log).toBe(join(dir, 'c', 'metrics.jsonl'));
    expect(withFolderOverrides(config, { output: join(dir, 'o') }).checkpoint).toBe(config.checkpoint);
  });
});

describe('checkStageInputs', () => {
  it('names a missing model folder with the command of the config beside it that writes it', async () => {
    await writeConfig(dir, 'make-vae', { ...common('runs/made-vae', 2), models: { vae: { config: TINY_VAE } } });
    await writeConfig(dir, 'make-chain', { ...common('runs/chain'), teacher: { pretrained: 'runs/x2' }, stages: [{ scale: 4, steps: 1 }], degradation: { type: 'bicubic' } });
    const file = await writeConfig(dir, 'decoder-needs', {
      ...common('runs/dec', 2),
      scale: 4,
      models: { vae: { pretrained: 'runs/made-vae/final' }, unet: { pretrained: 'runs/chain/final/x4' }, scheduler: { pretrained: 'runs/chain/final/x4' } },
      degradation: { type: 'bicubic' },
    });
    const config = await readTrainConfig('decoder', file);
    const error = await checkStageInputs(config, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainSetupError);
    const message = (error as Error).message;
    expect(message).toMatch(/^2 folders the config of .*decoder-needs\.json reads are missing\. \(1\) models\.vae\.pretrained: /);
    expect(message).toMatch(
      /\(1\) models\.vae\.pretrained: the model folder .*runs\/made-vae\/final does not exist\. It is written by an earlier stage: run `yonos train vae --config .*make-vae\.json` first, or point models\.vae\.pretrained at an existing model folder\. /,
    );
    // The chain writes <output>/x4; the scheduler's folder is the same one, reported once.
    expect(message).toMatch(/\(2\) models\.unet\.pretrained: the model folder .*runs\/chain\/final\/x4 does not exist\. It is written by an earlier stage: run `yonos train distill --config .*make-chain\.json` first/);
    expect(message).not.toContain('(3)');
  });

  it('says which stage usually writes a model folder no config beside it writes', async () => {
    const file = await writeConfig(dir, 'sr-needs', { ...common('runs/sr', 2), scale: 2, models: { vae: { pretrained: 'runs/nobody' }, unet: { config: TINY_UNET } }, degradation: { type: 'bicubic' } });
    await expect(checkStageInputs(await readTrainConfig('sr', file), file)).rejects.toThrow(
      /^models\.vae\.pretrained: the model folder .*runs\/nobody does not exist\. If it is the output of an earlier stage, run that stage first \(`yonos train vae --config <its config>`, whose "output" is this folder\), or point models\.vae\.pretrained at an existing model folder\.$/,
    );
  });

  it('names the script that makes data/train and data/eval/hr, and what else to do', async () => {
    const repoLike = join(dir, 'configs');
    await mkdir(repoLike);
    const file = await writeConfig(repoLike, 'vae-data', {
      ...common('runs/v', 2),
      data: { train: '../data/train', validation: '../data/eval/hr', crop_size: 16, batch_size: 2 },
      models: { vae: { config: TINY_VAE } },
      validation: { every: 2 },
    });
    const config = await readTrainConfig('vae', file);
    const message = ((await checkStageInputs(config, file).catch((e: unknown) => e)) as Error).message;
    expect(message).toContain(
      'data.train: the training images folder ' +
        `${join(dir, 'data/train')} does not exist. In the YONOS repository, \`npx tsx --conditions=source scripts/data/gather-training-set.ts\` makes it (see scripts/data/README.md); otherwise point data.train at a folder of PNG, JPEG or WebP images.`,
    );
    expect(message).toContain('data.validation: the held-out images folder');
    expect(message).toContain('`npx tsx --conditions=source scripts/data/make-eval-set.ts` makes it');
    expect(message).toContain('or set validation.every to 0 to train without validation.');
    // Without validation, its folder is not needed; another name gets the plain advice.
    await expect(checkStageInputs({ ...config, data: { ...config.data, train: join(dir, 'mine') }, validation: { ...config.validation, every: 0 } }, file)).rejects.toThrow(
      /^data\.train: the training images folder .*mine does not exist: point data\.train at a folder of PNG, JPEG or WebP images\.$/,
    );
    // Everything there: no error.
    await expect(checkStageInputs({ ...config, data: { ...config.data, train: join(dir, 'train'), validation: join(dir, 'val') } }, file)).resolves.toBeUndefined();
  });
});
