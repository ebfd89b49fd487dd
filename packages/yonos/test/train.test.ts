// `yonos train` on cpu with tiny real models (AutoencoderKL, UNet2DConditionModel, DDIMScheduler):
// config validation, every stage end to end, --max-steps and --resume auto (bit-identical to an
// uninterrupted run), refusing checkpoints that do not belong to the run, and no leaked tensors.
import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@yonos/core';
import { ImageFolder, RandomCropBatches, readMetricsLog } from '@yonos/distill';
import { AutoencoderKL } from '@yonos/vae';
import { YonosPipeline } from '@yonos/sampler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/model-classes.js';
import { yonos } from './helpers.js';
import { TINY_UNET, TINY_VAE, changed, common, trainingFolders, weights, writeConfig } from './train-fixtures.js';

let dir: string;

function srConfig(run: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...common(run, 4),
    scale: 2,
    models: { vae: { pretrained: 'runs/vae/final' }, unet: { config: TINY_UNET } },
    degradation: { type: 'bicubic' },
    loss: { snr_gamma: 5 },
    validation: { every: 4, max_images: 1, max_size: 32, samples: 1 },
    ...extra,
  };
}

beforeAll(async () => {
  dir = await trainingFolders();
  const vae = await writeConfig(dir, 'vae', {
    ...common('runs/vae', 4),
    models: { vae: { config: TINY_VAE } },
    validation: { every: 4, max_images: 1, max_size: 32 },
  });
  const run = await yonos('train', 'vae', '--config', vae, '--backend', 'cpu');
  if (run.code !== 0) throw new Error(`training the test VAE failed: ${run.stderr}`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('yonos train: command line and configs', () => {
  it('lists the stages in its help and refuses an unknown stage', async () => {
    const help = await yonos('train', '--help');
    expect(help.code).toBe(0);
    for (const word of ['vae', 'sr', 'distill', 'decoder', '--config', '--max-steps', '--resume', '--output', '--checkpoint-dir']) expect(help.stdout).toContain(word);
    const bad = await yonos('train', 'gan', '--config', 'x.json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: command-argument value 'gan' is invalid for argument 'stage'\. Allowed choices are vae, sr, distill, decoder/);
  });

  it('explains invalid configs in one line: the file, each key, what is expected and what was found', async () => {
    const missing = await yonos('train', 'sr', '--config', join(dir, 'nope.json'), '--backend', 'cpu');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: Cannot read the config file .*nope\.json/);

    const notJson = join(dir, 'broken.json');
    await writeConfig(dir, 'broken', 'x');
    await import('node:fs/promises').then((fs) => fs.writeFile(notJson, '{ "seed": 1, }'));
    expect((await yonos('train', 'sr', '--config', notJson, '--backend', 'cpu')).stderr).toMatch(/^error: .*broken\.json is not valid JSON/);

    const bad = srConfig('runs/bad');
    const file = await writeConfig(dir, 'bad', {
      ...bad,
      stepz: 3,
      optimizer: { lr: -1 },
      data: { ...(bad['data'] as object), crop_size: 20 },
      models: { vae: { pretrained: 'x', config: {} }, unet: { config: TINY_UNET } },
    });
    const run = await yonos('train', 'sr', '--config', file, '--backend', 'cpu');
    expect(run.code).toBe(1);
    const line = run.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain("bad.json is not a valid 'sr' training config");
    expect(line).toContain('(top level): unknown key "stepz"');
    expect(line).toContain('optimizer.lr: must be > 0 (got -1)');
    expect(line).toContain('models.vae: give exactly one of "pretrained"');
    // The crop check runs once the fields are valid.
    const crop = await writeConfig(dir, 'crop', { ...bad, data: { ...(bad['data'] as object), crop_size: 20 } });
    expect((await yonos('train', 'sr', '--config', crop, '--backend', 'cpu')).stderr).toContain('data.crop_size: must be a multiple of 8');

    const link = { ...common('runs/chain'), teacher: { pretrained: 'runs/none' }, stages: [{ scale: 4, steps: 1 }, { scale: 16, steps: 1 }], degradation: { type: 'bicubic' } };
    const chain = await writeConfig(dir, 'chain', link);
    expect((await yonos('train', 'distill', '--config', chain, '--backend', 'cpu')).stderr).toContain('stages[1].scale: expected 8 (each link doubles the previous factor');
    const jpeg = await writeConfig(dir, 'jpeg', { ...link, stages: [{ scale: 4, steps: 1 }], degradation: { type: 'jpeg' } });
    expect((await yonos('train', 'distill', '--config', jpeg, '--backend', 'cpu')).stderr).toContain('degradation.type: must be "bicubic" or "realesrgan" (got "jpeg")');
  });

  it('explains models that do not fit: U-Net channels against the VAE, unknown Real-ESRGAN options', async () => {
    const channels = await writeConfig(dir, 'channels', srConfig('runs/channels', { models: { vae: { pretrained: 'runs/vae/final' }, unet: { config: { ...TINY_UNET, in_channels: 6 } } } }));
    const run = await yonos('train', 'sr', '--config', channels, '--backend', 'cpu');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('models.unet: the U-Net takes 6 channels and returns 4; with this VAE\'s 4 latent channels YONOS needs in_channels 8');
    const esrgan = await writeConfig(dir, 'esrgan', srConfig('runs/esrgan', { degradation: { type: 'realesrgan', options: { noise_range: [1, 2] } } }));
    expect((await yonos('train', 'sr', '--config', esrgan, '--backend', 'cpu')).stderr).toContain('degradation.options: unknown Real-ESRGAN option noise_range');
  });
});

describe('yonos train: stages', () => {
  it('vae: wrote a diffusers AutoencoderKL folder, validated it, logged metrics', async () => {
    const config = JSON.parse(await readFile(join(dir, 'runs/vae/final/config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['_class_name']).toBe('AutoencoderKL');
    expect(config['block_out_channels']).toEqual([8, 16]);
    const log = await readMetricsLog(join(dir, 'runs/vae/checkpoints/metrics.jsonl'));
    const losses = log.filter((r) => typeof r['loss'] === 'number');
    expect(losses.map((r) => r['step'])).toEqual([1, 2, 3, 4]);
    expect(log.some((r) => r['event'] === 'validation' && Number.isFinite(r['psnr']))).toBe(true);
    // fit_scaling_factor: the saved scaling_factor makes the latents of training crops unit-variance.
    const vae = await AutoencoderKL.fromPretrained(join(dir, 'runs/vae/final'));
    const crops = new RandomCropBatches(await ImageFolder.open(join(dir, 'train')), { batchSize: 2, cropSize: 16, seed: 99 });
    const values: number[] = [];
    for (let i = 0; i < 32; i++) {
      const hr = await crops.batch(i);
      const z = tf.tidy(() => {
        const posterior = vae.encode(tf.sub(tf.mul(hr, 2), 1) as tf.Tensor4D);
        return tf.mul(posterior.sample(createRng(i)), vae.scalingFactor);
      });
      values.push(...(await z.data()));
      tf.dispose([hr, z]);
    }
    vae.dispose();
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    console.info(`vae: scaling_factor ${config['scaling_factor'] as number}; std of scaled latents of 64 other crops ${std.toFixed(4)} (expected 1 +- 0.05)`);
    expect(config['scaling_factor']).not.toBe(0.18215);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
  });

  it('sr: --max-steps 2 then --resume auto ends bit-identical to an uninterrupted run; the output pipeline upscales', async () => {
    const whole = await writeConfig(dir, 'sr-whole', srConfig('runs/sr-whole'));
    const split = await writeConfig(dir, 'sr-split', srConfig('runs/sr-split'));
    const a = await yonos('train', 'sr', '--config', whole, '--backend', 'cpu');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^sr x2: trained to step 4, last loss [\d.e-]+; wrote .*runs\/sr-whole\/final$/m);
    const b1 = await yonos('train', 'sr', '--config', split, '--max-steps', '2', '--backend', 'cpu');
    expect(b1.stdout).toMatch(/^sr x2: trained to step 2 \(of 4: rerun with --resume auto to continue\)/m);
    const again = await yonos('train', 'sr', '--config', split, '--backend', 'cpu');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds checkpoints \(the latest after 2 steps\): pass --resume auto/);
    const b2 = await yonos('train', 'sr', '--config', split, '--resume', 'auto', '--backend', 'cpu');
    expect(b2.code).toBe(0);
    expect(b2.stdout).toMatch(/trained to step 4, .*resumed from .*checkpoint-00000002; wrote/);
    const [wa, wb] = [await weights(join(dir, 'runs/sr-whole/final'), 'unet'), await weights(join(dir, 'runs/sr-split/final'), 'unet')];
    expect(changed(wa, wb)).toEqual([]);
    // The VAE is frozen: the pipeline's VAE is the input VAE, bit for bit.
    expect(changed(await weights(join(dir, 'runs/vae/final'), ''), await weights(join(dir, 'runs/sr-whole/final'), 'vae'))).toEqual([]);

    const pipe = await YonosPipeline.fromPretrained(join(dir, 'runs/sr-whole/final'));
    expect(pipe.scale).toBe(2);
    const out = await pipe.run(tf.fill([1, 8, 8, 3], 0.2) as tf.Tensor4D, { seed: 1 });
    expect(out.shape).toEqual([1, 16, 16, 3]);
    expect(Array.from(await out.data()).every(Number.isFinite)).toBe(true);
    out.dispose();
    pipe.dispose();
  });

  it('Ctrl-C: saves a checkpoint, says how to resume, and exits 1 so a script does not go on to the next stage', async () => {
    const config = await writeConfig(dir, 'sr-ctrl-c', srConfig('runs/sr-ctrl-c', { steps: 400, validation: { every: 0 } }));
    const metrics = join(dir, 'runs/sr-ctrl-c/checkpoints/metrics.jsonl');
    const run = yonos('train', 'sr', '--config', config, '--backend', 'cpu');
    // Interrupt once the loop has logged its first update (the in-process CLI listens for the SIGINT event).
    for (let i = 0; i < 600 && !(await readFile(metrics, 'utf8').catch(() => '')).includes('"loss"'); i++) await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT');
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^sr x2: stopped at step \d+ of 400, .*rerun with --resume auto to continue\.$/m);
    expect(result.stderr).toMatch(/error: training was interrupted \(Ctrl-C\) after saving a checkpoint; rerun with --resume auto/);
    const step = Number(/stopped at step (\d+)/.exec(result.stdout)![1]);
    expect(await readdir(join(dir, 'runs/sr-ctrl-c/checkpoints'))).toContain(`checkpoint-${String(step).padStart(8, '0')}`);
  });

  it('refuses to resume a checkpoint of another stage or scale', async () => {
    const other = await writeConfig(dir, 'sr-x4', srConfig('runs/sr-whole', { scale: 4 }));
    const run = await yonos('train', 'sr', '--config', other, '--resume', 'auto', '--backend', 'cpu');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/checkpoint-00000004 was written by a 'sr' x2 training run, not this 'sr' x4 one/);
    const decoder = await writeConfig(dir, 'decoder-wrong', {
      ...common('runs/dec-wrong', 2),
      scale: 2,
      models: { vae: { pretrained: 'runs/sr-whole/final' }, unet: { pretrained: 'runs/sr-whole/final' } },
      degradation: { type: 'bicubic' },
    });
    const path = join(dir, 'runs/sr-whole/checkpoints/checkpoint-00000004');
    expect((await yonos('train', 'decoder', '--config', decoder, '--resume', path, '--backend', 'cpu')).stderr).toMatch(/was written by a 'sr' x2 training run, not this 'decoder' x2 one/);
  });

  it('distill: trains the x2 teacher from its config, then x4 and x8 from it; --resume auto reruns nothing', async () => {
    await writeConfig(dir, 'teacher', srConfig('runs/teacher', { steps: 2, validation: { every: 0 } }));
    const chain = await writeConfig(dir, 'distill', {
      ...common('runs/distill'),
      teacher: { sr_config: 'teacher.json' },
      stages: [{ scale: 4, steps: 2 }, { scale: 8, steps: 2, lr: 5e-4 }],
      degradation: { type: 'realesrgan', options: { sharpenInput: false } },
      validation: { every: 2, max_images: 1, max_size: 32, samples: 0 },
    });
    const run = await yonos('train', 'distill', '--config', chain, '--backend', 'cpu');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^sr x2: trained to step 2/);
    expect(lines[1]).toMatch(/^distill x4: trained to step 2, .*runs\/distill\/final\/x4$/);
    expect(lines[2]).toMatch(/^distill x8: trained to step 2, .*runs\/distill\/final\/x8$/);
    for (const [scale, teacher] of [[4, 'runs/teacher/final'], [8, 'runs/distill/final/x4']] as const) {
      const index = JSON.parse(await readFile(join(dir, `runs/distill/final/x${scale}/model_index.json`), 'utf8')) as Record<string, unknown>;
      expect(index['scale_factor']).toBe(scale);
      // The student starts from its teacher and trains: same names, different values; the VAE is the teacher's, untouched.
      const s = await weights(join(dir, `runs/distill/final/x${scale}`), 'unet');
      const t = await weights(join(dir, teacher), 'unet');
      expect([...s.keys()].sort()).toEqual([...t.keys()].sort());
      expect(changed(t, s).length).toBeGreaterThan(0);
      expect(changed(await weights(join(dir, 'runs/teacher/final'), 'vae'), await weights(join(dir, `runs/distill/final/x${scale}`), 'vae'))).toEqual([]);
    }
    const x8 = await weights(join(dir, 'runs/distill/final/x8'), 'unet');
    const rerun = await yonos('train', 'distill', '--config', chain, '--resume', 'auto', '--backend', 'cpu');
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain('sr x2 (teacher): already trained');
    expect(rerun.stdout).toMatch(/distill x8: trained to step 2, .*resumed from .*x8\/checkpoint-00000002/);
    expect(changed(x8, await weights(join(dir, 'runs/distill/final/x8'), 'unet'))).toEqual([]);
    // A checkpoint path applies to its own link; the other runs of the chain continue with auto.
    const path = join(dir, 'runs/distill/checkpoints/x8/checkpoint-00000002');
    const byPath = await yonos('train', 'distill', '--config', chain, '--resume', path, '--backend', 'cpu');
    expect(byPath.code, byPath.stderr).toBe(0);
    expect(byPath.stdout).toMatch(/distill x4: .*resumed from .*x4\/checkpoint-00000002/);
    expect(byPath.stdout).toContain(`resumed from ${path}`);
  });

  it('decoder: only the decoder half of the VAE changes; the encoder and the U-Net stay bit-identical', async () => {
    const config = await writeConfig(dir, 'decoder', {
      ...common('runs/decoder', 3),
      scale: 8,
      models: { vae: { pretrained: 'runs/distill/final/x8' }, unet: { pretrained: 'runs/distill/final/x8' }, scheduler: { pretrained: 'runs/distill/final/x8' } },
      degradation: { type: 'bicubic' },
      ema: null,
    });
    const run = await yonos('train', 'decoder', '--config', config, '--backend', 'cpu');
    expect(run.code).toBe(0);
    const before = await weights(join(dir, 'runs/distill/final/x8'), 'vae');
    const after = await weights(join(dir, 'runs/decoder/final'), 'vae');
    const moved = changed(before, after);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((n) => n.startsWith('decoder.') || n.startsWith('post_quant_conv.'))).toBe(true);
    expect(moved.length).toBe([...before.keys()].filter((n) => n.startsWith('decoder.') || n.startsWith('post_quant_conv.')).length);
    expect(changed(await weights(join(dir, 'runs/distill/final/x8'), 'unet'), await weights(join(dir, 'runs/decoder/final'), 'unet'))).toEqual([]);
  });

  it('--output and --checkpoint-dir: one config trains into two folders, the same model; steps print as integers', async () => {
    const config = await writeConfig(dir, 'sr-twice', srConfig('runs/sr-twice', { steps: 2, validation: { every: 2, max_images: 1, max_size: 32, samples: 0 } }));
    for (const name of ['one', 'two']) {
      const run = await yonos('train', 'sr', '--config', config, '--output', join(dir, 'twice', name, 'model'), '--checkpoint-dir', join(dir, 'twice', name, 'ckpt'), '--backend', 'cpu');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^sr x2: trained to step 2, .*; wrote .*twice/${name}/model$`, 'm'));
      expect(run.stderr).toMatch(/^yonos train sr: .*sr-twice\.json on cpu \(output .*model, checkpoints .*ckpt\)$/m);
      expect(run.stderr).toMatch(/^checkpoint step 2 path .*ckpt\/checkpoint-00000002$/m);
      expect(run.stderr).toMatch(/^validate step 2 psnr \d/m);
      expect(run.stderr).not.toMatch(/step \d+\.\d/);
    }
    expect(existsSync(join(dir, 'runs/sr-twice'))).toBe(false);
    expect(await readdir(join(dir, 'twice/one/ckpt'))).toContain('metrics.jsonl');
    expect(changed(await weights(join(dir, 'twice/one/model'), 'unet'), await weights(join(dir, 'twice/two/model'), 'unet'))).toEqual([]);
  });

  it('a missing training folder or model folder is reported before any work, with the command that makes it', async () => {
    await writeConfig(dir, 'vae-later', { ...common('runs/vae-later', 2), models: { vae: { config: TINY_VAE } } });
    const base = srConfig('runs/sr-missing');
    const config = await writeConfig(dir, 'sr-missing', {
      ...base,
      models: { vae: { pretrained: 'runs/vae-later/final' }, unet: { config: TINY_UNET } },
      data: { ...(base['data'] as object), train: 'data/train' },
    });
    const run = await yonos('train', 'sr', '--config', config, '--backend', 'cpu');
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^error: 2 folders the config of .*sr-missing\.json reads are missing\. /);
    expect(lines.at(-1)).toMatch(/models\.vae\.pretrained: the model folder .*runs\/vae-later\/final does not exist\. It is written by an earlier stage: run `yonos train vae --config .*vae-later\.json` first/);
    expect(lines.at(-1)).toMatch(/data\.train: the training images folder .*data\/train does not exist\. In the YONOS repository, `npx tsx --conditions=source scripts\/data\/gather-training-set\.ts` makes it/);
    expect(run.stderr).not.toMatch(/unexpected|Cannot list/);
    expect(existsSync(join(dir, 'runs/sr-missing'))).toBe(false);
  });

  it('frees every tensor it makes', async () => {
    const config = await writeConfig(dir, 'leak', srConfig('runs/leak', { steps: 1 }));
    await yonos('train', 'sr', '--config', config, '--backend', 'cpu');
    const config2 = await writeConfig(dir, 'leak2', srConfig('runs/leak2', { steps: 2 }));
    const before = tf.memory().numTensors;
    const run = await yonos('train', 'sr', '--config', config2, '--backend', 'cpu');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
