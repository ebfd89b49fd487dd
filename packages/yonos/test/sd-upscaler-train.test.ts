// `yonos train decoder` on a Stable Diffusion x4 upscaler folder (the tiny fixture, served over
// HTTP as Hugging Face serves files): the decoder learns from the upscaler's own one-step
// latents (one DDIM step at t = 999 onto z_0, checked against a hand computation), only the
// decoder changes, the run resumes bit-identically, and the output is an upscaler folder that
// `yonos upscale` runs, locally and over HTTP, as the library does.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import { parseTrainConfig, readMetricsLog, readTrainConfig } from '@yonos/distill';
import { StableDiffusionUpscalePipeline } from '@yonos/sampler';
import type { UNet2DConditionModel } from '@yonos/unet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/model-classes.js';
import { upscalerDecoderTarget } from '../src/train/upscaler-decoder-target.js';
import { testImage, yonos } from './helpers.js';
import { UPSCALER_FIXTURE, libraryPng, serveFolders, writeEmbeddingFiles } from './sd-upscaler-fixture.js';
import type { FolderServer } from './sd-upscaler-fixture.js';
import { changed, weights, writeConfig } from './train-fixtures.js';

const PREFIX = '/stabilityai/sd-x4-upscaler-tiny/resolve/main/';

let dir: string;
let server: FolderServer;
let embeds: { both: string; promptOnly: string };

/** A decoder config on the served upscaler, its run folders under `runs/<run>`. */
function config(run: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed: 1,
    scale: 4,
    models: { upscaler: { pretrained: `${server.origin}${PREFIX}` } },
    upscaler: { prompt_embeds: 'prompt-only.safetensors' },
    data: { train: 'train', validation: 'val', crop_size: 32, batch_size: 2, cache_mb: 4 },
    degradation: { type: 'bicubic' },
    optimizer: { lr: 2e-3, clip_norm: 1 },
    ema: null,
    loss: { l1_weight: 1 },
    steps: 4,
    checkpoint: { dir: `runs/${run}/checkpoints`, every: 2, keep: 2 },
    validation: { every: 4, max_images: 1, max_size: 32, samples: 1 },
    output: `runs/${run}/final`,
    ...extra,
  };
}

beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'yonos-sd-train-'));
  await mkdir(join(dir, 'train'));
  await mkdir(join(dir, 'val'));
  for (let i = 0; i < 4; i++) await writeImage(join(dir, 'train', `t${i}.png`), testImage(48, 40 + 4 * i, i));
  for (let i = 0; i < 2; i++) await writeImage(join(dir, 'val', `v${i}.png`), testImage(32, 32, 10 + i));
  embeds = await writeEmbeddingFiles(dir);
  server = await serveFolders({ [PREFIX]: UPSCALER_FIXTURE, '/runs/': join(dir, 'runs') });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** alpha_bar of the x4 upscaler's schedule (scaled-linear 0.0001..0.02, 1000 steps), in float64, computed here. */
function alphaBar(t: number): number {
  let product = 1;
  for (let i = 0; i <= t; i++) {
    const root = Math.sqrt(0.0001) + ((Math.sqrt(0.02) - Math.sqrt(0.0001)) * i) / 999;
    product *= 1 - root * root;
  }
  return product;
}

describe('yonos train decoder on a StableDiffusionUpscalePipeline folder', () => {
  it("the decoder's input is the upscaler's own one-step latent: one v-prediction DDIM step at t = 999 onto z_0, computed by hand", async () => {
    const parsed = parseTrainConfig('decoder', config('latent'), { baseDir: dir });
    const tensors = tf.memory().numTensors;
    const target = await upscalerDecoderTarget(parsed);
    const rng = createRng(7);
    const hr = tf.tidy(() => tf.div(tf.add(tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3), 1), 2)) as tf.Tensor4D;
    const lr = tf.tidy(() => tf.clipByValue(tf.avgPool(hr, 4, 4, 'valid'), 0, 1)) as tf.Tensor4D;
    const z0 = await target.oneStepLatent({ hr, lr, rng });
    expect(z0.shape).toEqual([2, 8, 8, 4]);

    const pipe = await StableDiffusionUpscalePipeline.fromPretrained(UPSCALER_FIXTURE, { promptEmbeddings: embeds.promptOnly });
    const expected = tf.tidy(() => {
      const noise = rng.fork('low-res-noise').normal([2, 8, 8, 3]);
      const zT = rng.fork('noise').normal([2, 8, 8, 4]);
      const a20 = alphaBar(20);
      const noised = tf.add(tf.mul(tf.sub(tf.mul(lr, 2), 1), Math.sqrt(a20)), tf.mul(noise, Math.sqrt(1 - a20)));
      const context = tf.tile(pipe.promptEmbeddings!.promptEmbeds, [2, 1, 1]);
      const v = (pipe.unet as UNet2DConditionModel).forward(tf.concat([zT, noised], 3) as tf.Tensor4D, 999, context as tf.Tensor3D, { classLabels: 20 });
      const a = alphaBar(999);
      return tf.sub(tf.mul(zT, Math.sqrt(a)), tf.mul(v, Math.sqrt(1 - a)));
    });
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(z0, expected))).dataSync()[0]!);
    const scale = tf.tidy(() => tf.max(tf.abs(expected)).dataSync()[0]!);
    console.info(`upscaler one-step latent: max |z0 - hand z0| ${d.toExponential(2)} (max |z0| ${scale.toFixed(3)}; tolerance 1e-5 x that)`);
    expect(d).toBeLessThan(1e-5 * scale);
    tf.dispose([hr, lr, z0, expected]);
    pipe.dispose();
    target.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('trains only the decoder from a served folder, resumes bit-identically, and writes an upscaler folder that yonos upscale runs', async () => {
    const whole = await writeConfig(dir, 'sd-whole', config('sd-whole'));
    const split = await writeConfig(dir, 'sd-split', config('sd-split'));
    const tensors = tf.memory().numTensors;
    const a = await yonos('--backend', 'cpu', 'train', 'decoder', '--config', whole);
    expect(a.code, a.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(a.stdout).toMatch(/^decoder x4: trained to step 4, last loss [\d.e-]+; wrote .*runs\/sd-whole\/final$/m);
    expect((await yonos('--backend', 'cpu', 'train', 'decoder', '--config', split, '--max-steps', '2')).code).toBe(0);
    const b = await yonos('--backend', 'cpu', 'train', 'decoder', '--config', split, '--resume', 'auto');
    expect(b.code, b.stderr).toBe(0);
    const final = join(dir, 'runs/sd-whole/final');
    const vae = await weights(final, 'vae');
    expect(changed(vae, await weights(join(dir, 'runs/sd-split/final'), 'vae'))).toEqual([]);

    // Only decoder.* and post_quant_conv.* moved; the encoder and the U-Net are the fixture's.
    const moved = changed(await weights(UPSCALER_FIXTURE, 'vae'), vae);
    const decoderNames = [...vae.keys()].filter((n) => n.startsWith('decoder.') || n.startsWith('post_quant_conv.'));
    expect(moved.length).toBeGreaterThan(0.9 * decoderNames.length);
    expect(moved.every((n) => decoderNames.includes(n))).toBe(true);
    expect(changed(await weights(UPSCALER_FIXTURE, 'unet'), await weights(final, 'unet'))).toEqual([]);
    const index = JSON.parse(await readFile(join(final, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    expect(index).toMatchObject({ _class_name: 'StableDiffusionUpscalePipeline', max_noise_level: 350, prompt_embeddings: 'prompt_embeds.safetensors' });
    // The folder's own scheduler is written back, not the one YONOS samples with.
    expect(JSON.parse(await readFile(join(final, 'scheduler/scheduler_config.json'), 'utf8'))).toMatchObject({ timestep_spacing: 'leading', set_alpha_to_one: false });
    const log = await readMetricsLog(join(dir, 'runs/sd-whole/checkpoints/metrics.jsonl'));
    expect(log.filter((r) => typeof r['loss'] === 'number').map((r) => r['step'])).toEqual([1, 2, 3, 4]);
    expect(log.some((r) => r['event'] === 'validation' && Number.isFinite(r['psnr']))).toBe(true);

    // The tuned folder carries its prompt embeddings: no --prompt-embeds needed.
    const image = join(dir, 'val', 'v0.png');
    const up = await yonos('--backend', 'cpu', 'upscale', image, '-o', join(dir, 'up-local'), '--model', final, '--seed', '4');
    expect(up.code, up.stderr).toBe(0);
    const bytes = await readFile(join(dir, 'up-local', 'v0_x4.png'));
    expect(bytes.equals(await libraryPng(final, image, { steps: 1, guidanceScale: 1, noiseLevel: 20, seed: 4 }))).toBe(true);
    const before = await libraryPng(UPSCALER_FIXTURE, image, { steps: 1, guidanceScale: 1, noiseLevel: 20, seed: 4 }, { promptEmbeddings: embeds.promptOnly });
    expect(bytes.equals(before)).toBe(false);
    const served = await yonos('--backend', 'cpu', 'upscale', image, '-o', join(dir, 'up-served'), '--model', `${server.origin}/runs/sd-whole/final/`, '--seed', '4');
    expect(served.code, served.stderr).toBe(0);
    expect((await readFile(join(dir, 'up-served', 'v0_x4.png'))).equals(bytes)).toBe(true);
  });

  it('the example config examples/configs/decoder-sd-x4-upscaler-tiny.json is valid and reads the fixture and its recorded embeddings', async () => {
    const example = await readTrainConfig('decoder', join(UPSCALER_FIXTURE, '../../../examples/configs/decoder-sd-x4-upscaler-tiny.json'));
    expect(example.models.upscaler!.pretrained).toBe(UPSCALER_FIXTURE);
    expect(example.upscaler).toMatchObject({ prompt_embeds: join(UPSCALER_FIXTURE, 'io.safetensors'), steps: 1, schedule: 'yonos' });
    expect((example.data.crop_size / example.scale) % 8).toBe(0);
  });

  it('refuses what cannot run, before training, naming the key: no embeddings, another scale, a crop the U-Net cannot take, guidance without a negative prompt', async () => {
    const run = async (name: string, extra: Record<string, unknown>): Promise<string> => {
      const result = await yonos('--backend', 'cpu', 'train', 'decoder', '--config', await writeConfig(dir, name, config(name, extra)));
      expect(result.code).toBe(1);
      return result.stderr.trim();
    };
    expect(await run('no-embeds', { upscaler: {} })).toMatch(/^error: upscaler\.prompt_embeds: .*sd-x4-upscaler-tiny\/resolve\/main\/ holds no prompt embeddings/m);
    expect(await run('scale', { scale: 2 })).toMatch(/^error: scale: the upscaler enlarges x4 \(its VAE's factor\), not x2; set "scale": 4\./m);
    expect(await run('crop', { data: { train: 'train', crop_size: 48, batch_size: 2 }, validation: { every: 0 } })).toMatch(
      /^error: data\.crop_size 48 gives 12x12 low-res inputs, but the upscaler's U-Net needs sides divisible by 8: use a multiple of 32/m,
    );
    expect(await run('guided', { upscaler: { prompt_embeds: 'prompt-only.safetensors', guidance_scale: 3 } })).toMatch(/^error: upscaler\.guidance_scale: 3 needs negative_prompt_embeds/m);
    expect(await run('missing-file', { upscaler: { prompt_embeds: 'nope.safetensors' } })).toMatch(/^error: upscaler\.prompt_embeds: .*nope\.safetensors is not a file/m);
    expect(await run('noise', { upscaler: { prompt_embeds: 'prompt-only.safetensors', noise_level: 400 } })).toMatch(/^error: upscaler\.noise_level: 400 is above the folder's max_noise_level 350/m);
  });
});
