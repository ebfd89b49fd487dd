// `yonos train` with an AutoencoderTiny (TAESD) VAE: vae from scratch with the pooling init,
// then sr, distill and decoder runs using it as their codec, and an upscale with the result.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { readImage, writeImage } from '@yonos/core/node';
import { readMetricsLog } from '@yonos/distill';
import { YonosPipeline } from '@yonos/sampler';
import { AutoencoderTiny } from '@yonos/vae';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/model-classes.js';
import { loadVae } from '../src/train/models.js';
import { testImage, yonos } from './helpers.js';
import { TINY_UNET, TINY_VAE, changed, common, trainingFolders, weights, writeConfig } from './train-fixtures.js';

/** A from-scratch AutoencoderTiny: 2 levels (latent /2), 8 channels, 4 latent channels. */
const TINY_TAESD = {
  _class_name: 'AutoencoderTiny',
  encoder_block_out_channels: [8, 8],
  decoder_block_out_channels: [8, 8],
  num_encoder_blocks: [1, 1],
  num_decoder_blocks: [1, 1],
  latent_channels: 4,
};

let dir: string;

function srConfig(run: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...common(run, 2),
    scale: 2,
    models: { vae: { pretrained: 'runs/vae/final' }, unet: { config: TINY_UNET } },
    degradation: { type: 'bicubic' },
    validation: { every: 0 },
    ...extra,
  };
}

beforeAll(async () => {
  await useBackend('cpu');
  dir = await trainingFolders();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('yonos train with an AutoencoderTiny', () => {
  it('loadVae builds an AutoencoderTiny from its _class_name with the pooling init, and rejects init where it does not apply', async () => {
    const before = tf.memory().numTensors;
    const vae = await loadVae({ config: TINY_TAESD, init: 'pooling' }, 'models.vae', createRng(1));
    expect(vae).toBeInstanceOf(AutoencoderTiny);
    // Pooling init: a constant image comes back exactly (its block means are itself), up to the tanh clamp.
    const x = tf.fill([1, 8, 8, 3], 0.2) as tf.Tensor4D;
    const rec = (vae as AutoencoderTiny).forward(x);
    const z = 0.25 * 0.6; // (0.2 + 1) / 2 scaled by the latent gain
    const expected = 2 * (4 * Math.tanh(z / 3) * 3) - 1;
    const values = await rec.data();
    expect(Math.max(...Array.from(values, (v) => Math.abs(v - expected)))).toBeLessThan(1e-5);
    tf.dispose([x, rec]);
    vae.dispose();
    const plain = await loadVae({ config: TINY_TAESD }, 'models.vae', createRng(1));
    const sum = tf.tidy(() => tf.sum(tf.abs((plain as AutoencoderTiny).encoder.layers[1]!.namedParameters().find(([n]) => n === 'conv.4.weight')![1].value)));
    expect((await sum.data())[0]).toBeGreaterThan(0); // default init: nothing zeroed
    sum.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(loadVae({ config: TINY_VAE, init: 'pooling' }, 'models.vae', createRng(1))).rejects.toThrow(
      /^models\.vae\.init: "pooling" is only defined for an AutoencoderTiny .* not for a AutoencoderKL/,
    );
    await expect(loadVae({ config: { _class_name: 'VQModel' } }, 'models.vae', createRng(1))).rejects.toThrow(/models\.vae: _class_name "VQModel" is not a VAE YONOS trains/);
    await expect(loadVae({ config: { ...TINY_TAESD, act_fn: 'silu' }, init: 'pooling' }, 'models.vae', createRng(1))).rejects.toThrow(/models\.vae: .*act_fn must be "relu"/);
  });

  it('vae -> sr -> distill -> decoder, then upscale with the trained pipeline', async () => {
    const vaeConfig = await writeConfig(dir, 'vae', {
      ...common('runs/vae', 3),
      models: { vae: { config: TINY_TAESD, init: 'pooling' } },
      validation: { every: 3, max_images: 1, max_size: 32 },
    });
    const vaeRun = await yonos('train', 'vae', '--config', vaeConfig, '--backend', 'cpu');
    expect(vaeRun.code, vaeRun.stderr).toBe(0);
    const config = JSON.parse(await readFile(join(dir, 'runs/vae/final/config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['_class_name']).toBe('AutoencoderTiny');
    expect(config['encoder_block_out_channels']).toEqual([8, 8]);
    expect(config['scaling_factor']).not.toBe(1); // fitted on training crops
    const log = await readMetricsLog(join(dir, 'runs/vae/checkpoints/metrics.jsonl'));
    const losses = log.filter((r) => typeof r['loss'] === 'number');
    expect(losses.map((r) => r['step'])).toEqual([1, 2, 3]);
    console.info(`AutoencoderTiny (pooling init) losses: ${losses.map((r) => (r['loss'] as number).toFixed(4)).join(', ')}`);
    expect(log.some((r) => r['event'] === 'validation' && Number.isFinite(r['psnr']))).toBe(true);

    const sr = await writeConfig(dir, 'teacher', srConfig('runs/teacher'));
    const srRun = await yonos('train', 'sr', '--config', sr, '--backend', 'cpu');
    expect(srRun.code, srRun.stderr).toBe(0);
    // The VAE is frozen in SR training: the pipeline's VAE is the trained one, bit for bit.
    expect(changed(await weights(join(dir, 'runs/vae/final')), await weights(join(dir, 'runs/teacher/final/vae')))).toEqual([]);

    const distill = await writeConfig(dir, 'distill', {
      ...common('runs/distill'),
      teacher: { pretrained: 'runs/teacher/final' },
      stages: [{ scale: 4, steps: 1 }],
      degradation: { type: 'bicubic' },
      validation: { every: 0 },
    });
    const distillRun = await yonos('train', 'distill', '--config', distill, '--backend', 'cpu');
    expect(distillRun.code, distillRun.stderr).toBe(0);
    expect(distillRun.stdout).toMatch(/distill x4: trained to step 1/);

    const decoder = await writeConfig(dir, 'decoder', {
      ...common('runs/decoder', 2),
      scale: 4,
      models: { vae: { pretrained: 'runs/distill/final/x4' }, unet: { pretrained: 'runs/distill/final/x4' }, scheduler: { pretrained: 'runs/distill/final/x4' } },
      degradation: { type: 'bicubic' },
      ema: null,
    });
    const decRun = await yonos('train', 'decoder', '--config', decoder, '--backend', 'cpu');
    expect(decRun.code, decRun.stderr).toBe(0);
    const before = await weights(join(dir, 'runs/distill/final/x4/vae'));
    const after = await weights(join(dir, 'runs/decoder/final/vae'));
    const moved = changed(before, after);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((n) => n.startsWith('decoder.'))).toBe(true);

    const pipe = await YonosPipeline.fromPretrained(join(dir, 'runs/decoder/final'));
    expect(pipe.vae).toBeInstanceOf(AutoencoderTiny);
    expect(pipe.scale).toBe(4);
    const out = await pipe.run(tf.fill([1, 8, 8, 3], 0.2) as tf.Tensor4D, { seed: 1 });
    expect(out.shape).toEqual([1, 32, 32, 3]);
    expect(Array.from(await out.data()).every(Number.isFinite)).toBe(true);
    out.dispose();
    pipe.dispose();

    // The CLI's upscale with the trained folder: a 12x8 image comes out 48x32.
    await writeImage(join(dir, 'in.png'), testImage(12, 8, 5));
    const up = await yonos('upscale', join(dir, 'in.png'), '-o', join(dir, 'upscaled'), '--model', join(dir, 'runs/decoder/final'), '--backend', 'cpu');
    expect(up.code, up.stderr).toBe(0);
    const written = await readImage(join(dir, 'upscaled', 'in_x4.png'));
    expect([written.width, written.height]).toEqual([48, 32]);
  });
});
