// The zod schemas of the `yonos train` configs: defaults, path resolution against the config's
// folder, and error messages that name every bad key with what is expected and what was found.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TRAIN_STAGES, TrainingConfigError, parseTrainConfig, readTrainConfig } from '../src/index.js';

const base = {
  data: { train: 'data/train', crop_size: 32, batch_size: 2 },
  optimizer: { lr: 1e-4 },
  checkpoint: { dir: 'runs/ckpt' },
  output: 'runs/out',
};
const unet = { config: { in_channels: 8 } };
const vae = { pretrained: '/models/vae' };

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TrainingConfigError);
    return (error as TrainingConfigError).problems;
  }
  throw new Error('expected a TrainingConfigError');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'yonos-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('training configs', () => {
  test('fill defaults and resolve relative paths against the base folder (absolute ones stay)', () => {
    const c = parseTrainConfig('sr', { ...base, steps: 10, scale: 4, models: { vae, unet }, degradation: { type: 'bicubic' } }, { baseDir: '/work/cfg' });
    expect(c.data).toEqual({ train: '/work/cfg/data/train', crop_size: 32, batch_size: 2, cache_mb: 256, hflip: true, vflip: false, rot90: false });
    expect(c.optimizer).toEqual({ lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2, schedule: 'constant', warmup_steps: 0, clip_norm: 1, grad_accumulation: 1 });
    expect(c.ema).toBeNull();
    expect(c.checkpoint).toEqual({ dir: '/work/cfg/runs/ckpt', every: 0, keep: 3 });
    expect(c.validation).toEqual({ every: 0, max_images: 4, max_size: 128, samples: 2, seed: 0 });
    expect(c.models.vae.pretrained).toBe('/models/vae');
    expect(c.loss).toEqual({ snr_gamma: null, weighting: 'prediction', latent: 'sample', channel_weights: null, timestep_range: null, timestep_last_share: 0, timestep_uniform_weight: 1, pixel_weight: 0 });
    expect(c.degradation).toEqual({ type: 'bicubic', antialiasing: true, quantize: true });
    expect(c.seed).toBe(0);
    expect(c.output).toBe('/work/cfg/runs/out');
  });

  test('name every problem: key path, what is expected, what was found', () => {
    const found = problems(() =>
      parseTrainConfig(
        'sr',
        {
          ...base,
          steps: 0,
          scale: 3.5,
          optimizer: { lr: 1e-4, schedule: 'step', betas: [0.9] },
          models: { vae: {}, unet, extra: {} },
          degradation: { type: 'bicubic', sigma: 1 },
          ema: { decay: 2 },
        },
        { source: 'my.json' },
      ),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'optimizer.betas: must be two numbers in [0, 1), e.g. [0.9, 0.999] (got [0.9])',
        'optimizer.schedule: must be one of constant, constant_with_warmup, cosine, linear (got "step")',
        'ema.decay: must be in [0, 1] (got 2)',
        'steps: expected a number > 0 (got 0)',
        'scale: must be a whole number such as 2, 4 or 8 (got 3.5)',
        'models: unknown key "extra" (check the spelling)',
        'models.vae: give exactly one of "pretrained" (a diffusers model or pipeline folder) and "config" (a diffusers config object for a new model) (got {})',
        'degradation: unknown key "sigma" (check the spelling)',
      ]),
    );
    expect(() => parseTrainConfig('sr', {}, { source: 'my.json' })).toThrow(/^my\.json is not a valid 'sr' training config: data: .*See examples\/configs\//);
  });

  test('the crop must be divisible by 8 and every scale; the chain must double from x2', () => {
    const sr = { ...base, data: { ...base.data, crop_size: 36 }, steps: 1, scale: 2, models: { vae, unet }, degradation: { type: 'bicubic' } };
    expect(problems(() => parseTrainConfig('sr', sr))).toEqual(['data.crop_size: must be a multiple of 8 (the VAE\'s 8 and every scale of this stage) (got 36)']);
    expect(problems(() => parseTrainConfig('sr', { ...sr, scale: 16, data: { ...base.data, crop_size: 24 } }))).toEqual([
      'data.crop_size: must be a multiple of 16 (the VAE\'s 8 and every scale of this stage) (got 24)',
    ]);
    const chain = { ...base, data: { ...base.data, crop_size: 36 }, teacher: { pretrained: 'x2' }, stages: [{ scale: 4, steps: 1 }, { scale: 8, steps: 1 }], degradation: { type: 'bicubic' } };
    expect(problems(() => parseTrainConfig('distill', chain))).toEqual(['data.crop_size: must be a multiple of 8 (the VAE\'s 8 and every scale of this stage) (got 36)']);
    expect(problems(() => parseTrainConfig('distill', { ...chain, data: base.data, stages: [{ scale: 8, steps: 1 }] }))).toEqual([
      'stages[0].scale: expected 4 (each link doubles the previous factor, starting from the x2 teacher) (got 8)',
    ]);
    expect(problems(() => parseTrainConfig('distill', { ...chain, data: base.data, teacher: { pretrained: 'a', sr_config: 'b' } }))[0]).toMatch(/^teacher: give exactly one of/);
  });

  test('models.*.init: "default" or "pooling", only with "config"', () => {
    const vaeRun = { ...base, steps: 5 };
    const tiny = { _class_name: 'AutoencoderTiny', encoder_block_out_channels: [8, 8] };
    const c = parseTrainConfig('vae', { ...vaeRun, models: { vae: { config: tiny, init: 'pooling' } } });
    expect(c.models.vae.init).toBe('pooling');
    expect(parseTrainConfig('vae', { ...vaeRun, models: { vae: { config: tiny } } }).models.vae.init).toBeUndefined();
    expect(problems(() => parseTrainConfig('vae', { ...vaeRun, models: { vae: { config: tiny, init: 'xavier' } } }))).toEqual([
      'models.vae.init: must be "default" or "pooling" (got "xavier")',
    ]);
    expect(problems(() => parseTrainConfig('vae', { ...vaeRun, models: { vae: { pretrained: '/models/vae', init: 'pooling' } } }))).toEqual([
      'models.vae.init: only applies to a new model built from "config" (a "pretrained" model keeps its weights) (got "pooling")',
    ]);
  });

  test('vae trainable: "all" by default, "decoder" only without refitting the scaling factor', () => {
    const vaeRun = { ...base, steps: 5, models: { vae: { pretrained: '/models/vae' } } };
    expect(parseTrainConfig('vae', vaeRun).trainable).toBe('all');
    expect(parseTrainConfig('vae', { ...vaeRun, trainable: 'decoder', fit_scaling_factor: false }).trainable).toBe('decoder');
    expect(problems(() => parseTrainConfig('vae', { ...vaeRun, trainable: 'decoder' }))).toEqual([
      'trainable: trainable "decoder" keeps the encoder and its latents: set fit_scaling_factor to false (got "decoder")',
    ]);
    expect(problems(() => parseTrainConfig('vae', { ...vaeRun, trainable: 'encoder', fit_scaling_factor: false }))[0]).toMatch(/^trainable: must be "all" or "decoder"/);
  });

  test('readTrainConfig resolves paths against the file\'s folder and explains unreadable files', async () => {
    const file = join(dir, 'vae.json');
    await writeFile(file, JSON.stringify({ ...base, steps: 5, models: { vae: { config: { block_out_channels: [8] } } } }));
    const c = await readTrainConfig('vae', file);
    expect(c.data.train).toBe(join(dir, 'data/train'));
    expect(c.loss).toEqual({ l1_weight: 1, kl_weight: 1e-6, sample_posterior: true });
    await writeFile(join(dir, 'bad.json'), '{ "a": 1, }');
    await expect(readTrainConfig('vae', join(dir, 'bad.json'))).rejects.toThrow(/bad\.json is not valid JSON .*no comments or trailing commas/);
    await expect(readTrainConfig('vae', join(dir, 'none.json'))).rejects.toThrow(/Cannot read the config file .*none\.json/);
    expect(TRAIN_STAGES).toEqual(['vae', 'sr', 'distill', 'decoder']);
  });
});
