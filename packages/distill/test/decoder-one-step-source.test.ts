// Decoder fine-tuning over any one-step model: the stage hands a OneStepLatentSource the HR
// crop, the degradation's LR input and the micro-batch's generator, decodes what it returns,
// frees it, and refuses a latent that does not fit the codec. The decoder config's
// `models.upscaler` form (a Stable Diffusion x4 upscaler folder) and its checks.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRng, useBackend } from '@yonos/core';
import type { StepContext } from '../src/index.js';
import { TrainingArgumentError, TrainingConfigError, createDecoderStage, parseTrainConfig } from '../src/index.js';
import type { OneStepLatentArgs } from '../src/index.js';
import { FixedBatches, makeCodec, maxAbsDiff, poolDegradation } from './stages-fixtures.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const ctx: StepContext = { step: 3, micro: 0, microBatchIndex: 3, rng: createRng(9).fork('step:3:0') };

describe('decoder stage over a OneStepLatentSource', () => {
  let codec: ReturnType<typeof makeCodec>;
  beforeAll(() => {
    codec = makeCodec();
  });
  afterAll(() => codec.dispose());

  test('gets the crop, the degraded input and the micro-batch generator; decodes z_0 / scalingFactor + shiftFactor; frees z_0', async () => {
    const data = new FixedBatches(2, 16);
    let seen: { hr: number; lr: number; draw: number } | undefined;
    const z0 = (): tf.Tensor4D => tf.tidy(() => tf.reshape(tf.add(tf.mul(tf.range(0, 2 * 4 * 4 * 4), 0.01), -0.3), [2, 4, 4, 4]) as tf.Tensor4D);
    const source = async ({ hr, lr, rng }: OneStepLatentArgs): Promise<tf.Tensor4D> => {
      const expectedHr = await data.batch(ctx.microBatchIndex);
      const expectedLr = poolDegradation.degrade(expectedHr, 4, createRng(0));
      const a = rng.fork('probe').normal([4]);
      const b = ctx.rng.fork('probe').normal([4]);
      seen = { hr: await maxAbsDiff(hr, expectedHr), lr: await maxAbsDiff(lr, expectedLr), draw: await maxAbsDiff(a, b) };
      tf.dispose([expectedHr, expectedLr, a, b]);
      return z0();
    };
    const stage = createDecoderStage({ codec, oneStepLatent: source, data, degradation: poolDegradation, scale: 4 });
    const tensors = tf.memory().numTensors;
    const batch = await stage.task.batch(ctx);
    expect(seen).toEqual({ hr: 0, lr: 0, draw: 0 });
    const expected = tf.tidy(() => tf.add(tf.div(z0(), 0.5), 0.1));
    expect(await maxAbsDiff(batch.latent, expected)).toBeLessThan(1e-7);
    expect(batch.target.shape).toEqual([2, 16, 16, 3]);
    tf.dispose([batch.latent, batch.target, expected]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('a latent that does not fit the codec and the crop is refused, and nothing leaks', async () => {
    const stage = createDecoderStage({
      codec,
      oneStepLatent: () => tf.zeros([2, 8, 8, 4]) as tf.Tensor4D,
      data: new FixedBatches(2, 16),
      degradation: poolDegradation,
      scale: 4,
    });
    const tensors = tf.memory().numTensors;
    await expect(stage.task.batch(ctx)).rejects.toThrow(TrainingArgumentError);
    await expect(stage.task.batch(ctx)).rejects.toThrow(/the one-step latent is \[2, 8, 8, 4\], but the codec \(factor 4, 4 channels\) decodes \[2, 4, 4, 4\] to the 16x16 crops/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('decoder config with models.upscaler', () => {
  const base = {
    steps: 10,
    scale: 4,
    data: { train: 'data/train', crop_size: 32, batch_size: 2 },
    optimizer: { lr: 1e-4 },
    checkpoint: { dir: 'runs/ckpt' },
    output: 'runs/out',
    degradation: { type: 'bicubic' },
  };
  const problems = (raw: unknown): readonly string[] => {
    try {
      parseTrainConfig('decoder', raw, { baseDir: '/cfg' });
    } catch (error) {
      expect(error).toBeInstanceOf(TrainingConfigError);
      return (error as TrainingConfigError).problems;
    }
    throw new Error('expected a TrainingConfigError');
  };

  test('fills the run defaults as yonos upscale has them; URLs stay as they are, file paths resolve against the config', () => {
    const url = 'https://huggingface.co/stabilityai/stable-diffusion-x4-upscaler/resolve/main/';
    const c = parseTrainConfig('decoder', { ...base, models: { upscaler: { pretrained: url } }, upscaler: { prompt_embeds: 'embeds.safetensors' } }, { baseDir: '/cfg' });
    expect(c.models.upscaler).toEqual({ pretrained: url });
    expect(c.upscaler).toEqual({ prompt_embeds: '/cfg/embeds.safetensors', noise_level: 20, steps: 1, schedule: 'yonos' });
    const local = parseTrainConfig('decoder', { ...base, models: { upscaler: { pretrained: 'models/x4' } }, upscaler: { prompt_embeds: 'https://host/e.safetensors' } }, { baseDir: '/cfg' });
    expect(local.models.upscaler!.pretrained).toBe('/cfg/models/x4');
    expect(local.upscaler!.prompt_embeds).toBe('https://host/e.safetensors');
    const yonosModel = parseTrainConfig('decoder', { ...base, models: { vae: { pretrained: 'm' }, unet: { pretrained: 'm' } } }, { baseDir: '/cfg' });
    expect(yonosModel.upscaler).toBeUndefined();
  });

  test('names what does not fit: models mixed, upscaler options without an upscaler, residual, a missing U-Net, bad values', () => {
    expect(problems({ ...base, models: { upscaler: { pretrained: 'x' }, vae: { pretrained: 'v' } } })).toEqual([
      'models.vae: not with models.upscaler, which brings its own VAE, U-Net and schedulers: remove one of them (got {"pretrained":"v"})',
    ]);
    expect(problems({ ...base, models: { vae: { pretrained: 'v' }, unet: { pretrained: 'u' } }, upscaler: { steps: 2 } })).toEqual([
      'upscaler: only applies with models.upscaler (a Stable Diffusion x4 upscaler folder) (got {"steps":2})',
    ]);
    expect(problems({ ...base, models: { upscaler: { pretrained: 'x' } }, residual: true })).toEqual([
      'residual: must be false with models.upscaler (its U-Net is not a residual YONOS U-Net) (got true)',
    ]);
    expect(problems({ ...base, models: { vae: { pretrained: 'v' } } })).toEqual([
      'models.unet: is required: give models.vae and models.unet (a YONOS model), or models.upscaler (a Stable Diffusion x4 upscaler folder) (got nothing)',
    ]);
    expect(problems({ ...base, models: { upscaler: { pretrained: 'x' } }, upscaler: { schedule: 'leading', guidance_scale: 0.5, noise_level: -1 } })).toEqual([
      'upscaler.noise_level: expected a number >= 0 (got -1)',
      'upscaler.guidance_scale: must be >= 1 (1: no guidance) (got 0.5)',
      'upscaler.schedule: must be "yonos" or "model" (got "leading")',
    ]);
  });
});
