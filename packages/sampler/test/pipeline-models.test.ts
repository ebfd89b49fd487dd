import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, imresize, useBackend } from '@yonos/core';
import { AutoencoderKL } from '@yonos/vae';
import { UNet2DConditionModel } from '@yonos/unet';
import { DDIMScheduler, YONOS_SCHEDULER_CONFIG, YonosPipeline } from '../src/index.js';
import { DIFFUSERS_FIXTURES } from './helpers.js';
import { maxDiff, testImage } from './pipeline-standins.js';

// The tiny diffusers fixtures: AutoencoderKL (f = 4, 4 latent channels) and an SD2-style
// UNet2DConditionModel (8 input channels, cross-attention dim 24, 3 levels: latents multiple of 4).
let vae: AutoencoderKL;
let unet: UNet2DConditionModel;
let dir: string;

beforeAll(async () => {
  await useBackend('wasm');
  vae = await AutoencoderKL.fromPretrained(join(DIFFUSERS_FIXTURES, 'vae-tiny'));
  unet = await UNet2DConditionModel.fromPretrained(join(DIFFUSERS_FIXTURES, 'unet-sd2-tiny'));
  dir = mkdtempSync(join(tmpdir(), 'yonos-pipeline-'));
});

afterAll(async () => {
  vae.dispose();
  unet.dispose();
  rmSync(dir, { recursive: true, force: true });
  await useBackend('cpu');
});

/** The composition step by step, written independently of the pipeline (no padding needed: 8 x 4 = 32 is a multiple of 16). */
function reference(lr: tf.Tensor4D, steps: number, latents: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const posterior = vae.encode(imresize(lr, 4));
    const zLr = tf.mul(posterior.mean, vae.scalingFactor);
    posterior.dispose();
    const scheduler = new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
    scheduler.setTimesteps(steps);
    const context = tf.zeros([lr.shape[0], 1, 24]) as tf.Tensor3D;
    let z: tf.Tensor = latents;
    for (const t of scheduler.timesteps) {
      z = scheduler.step(unet.forward(tf.concat([z, zLr], 3) as tf.Tensor4D, t, context), t, z).prevSample;
    }
    return tf.clipByValue(vae.decode(tf.div(z, vae.scalingFactor) as tf.Tensor4D), -1, 1) as tf.Tensor4D;
  });
}

describe('YonosPipeline with the tiny fixture models', () => {
  it('equals the same composition computed step by step (1 and 4 steps, given latents), without leaks', async () => {
    const pipe = new YonosPipeline({ vae, unet });
    expect(pipe.latentMultiple).toBe(4);
    expect(pipe.unet.crossAttentionDim).toBe(24);
    const lr = testImage(1, 8, 8);
    for (const steps of [1, 4]) {
      const latents = createRng(10 + steps).normal(pipe.latentShape(8, 8)) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const out = await pipe.run(lr, { steps, latents });
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(out.shape).toEqual([1, 32, 32, 3]);
      const expected = reference(lr, steps, latents);
      const err = await maxDiff(out, expected);
      console.info(`tiny models, pipeline vs step-by-step, ${steps} step(s): max |diff| ${err}`);
      expect(err).toBeLessThanOrEqual(1e-6);
      tf.dispose([out, expected, latents]);
    }
    lr.dispose();
    pipe.dispose({ components: false });
  });

  it('saves a diffusers-style folder and loads it back by class name (importing @yonos/vae and @yonos/unet)', async () => {
    const pipe = new YonosPipeline({ vae, unet, scale: 4 });
    const folder = join(dir, 'tiny-pipeline');
    // Neither package registers itself yet, so this takes the registry's fallback: it imports
    // the package by name and registers the exported class of that name.
    const { resolvePretrainedClass } = await import('@yonos/core');
    expect((await resolvePretrainedClass('@yonos/vae', 'AutoencoderKL')).cls).toBe(AutoencoderKL);
    expect((await resolvePretrainedClass('@yonos/unet', 'UNet2DConditionModel')).cls).toBe(UNet2DConditionModel);
    await pipe.savePretrained(folder);
    const index = JSON.parse(readFileSync(join(folder, 'model_index.json'), 'utf8'));
    expect(index).toEqual({
      _class_name: 'YonosPipeline',
      _diffusers_version: '0.25.0',
      latent_multiple: 4,
      scale_factor: 4,
      scheduler: ['@yonos/sampler', 'DDIMScheduler'],
      unet: ['@yonos/unet', 'UNet2DConditionModel'],
      vae: ['@yonos/vae', 'AutoencoderKL'],
    });
    const schedulerConfig = JSON.parse(readFileSync(join(folder, 'scheduler/scheduler_config.json'), 'utf8'));
    expect(schedulerConfig).toMatchObject({ _class_name: 'DDIMScheduler', prediction_type: 'v_prediction', timestep_spacing: 'trailing' });
    expect(JSON.parse(readFileSync(join(folder, 'unet/config.json'), 'utf8'))._class_name).toBe('UNet2DConditionModel');
    expect(JSON.parse(readFileSync(join(folder, 'vae/config.json'), 'utf8'))._class_name).toBe('AutoencoderKL');

    const before = tf.memory().numTensors;
    const loaded = await YonosPipeline.fromPretrained(folder);
    expect(loaded.vae).toBeInstanceOf(AutoencoderKL);
    expect(loaded.unet).toBeInstanceOf(UNet2DConditionModel);
    expect(loaded.scheduler).toBeInstanceOf(DDIMScheduler);
    const lr = testImage(1, 8, 8);
    const a = await pipe.run(lr, { seed: 3 });
    const b = await loaded.run(lr, { seed: 3 });
    expect(await maxDiff(a, b)).toBe(0);
    tf.dispose([lr, a, b]);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    pipe.dispose({ components: false });
  });

  // Seams are tested with the bundled model (yonos/test/bundled-seams.test.ts): with these random
  // weights the output is noise-like, and hard tiles cannot be told from blended ones.
});
