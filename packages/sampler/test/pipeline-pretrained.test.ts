import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PretrainedError, UnknownPretrainedClassError } from '@yonos/core';
import { Module } from '@yonos/core/nn';
import { DDIMScheduler, YonosPipeline } from '../src/index.js';
import { ConvDenoiser, PatchCodec, makeCodec, makeDenoiser, maxDiff, testImage } from './pipeline-standins.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'yonos-pipeline-pretrained-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIB = '@yonos/sampler-test-standins';

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function rewriteIndex(folder: string, patch: Record<string, unknown>): void {
  writeFileSync(join(folder, 'model_index.json'), JSON.stringify({ ...readJson(join(folder, 'model_index.json')), ...patch }));
}

async function savedPipeline(name: string, withContext = false): Promise<{ pipe: YonosPipeline; folder: string }> {
  const context = withContext ? (tf.tidy(() => tf.mul(tf.ones([1, 3, 6]), 0.25)) as tf.Tensor3D) : undefined;
  const pipe = new YonosPipeline({
    vae: makeCodec({ mode: 'conv' }),
    unet: makeDenoiser(),
    scale: 2,
    ...(context !== undefined ? { context } : {}),
  });
  context?.dispose();
  const folder = join(dir, name);
  await pipe.savePretrained(folder);
  return { pipe, folder };
}

describe('YonosPipeline.savePretrained / fromPretrained', () => {
  it('writes the diffusers layout and reloads an identical pipeline, without leaks', async () => {
    const { pipe, folder } = await savedPipeline('roundtrip', true);
    expect(readJson(join(folder, 'model_index.json'))).toEqual({
      _class_name: 'YonosPipeline',
      _diffusers_version: '0.25.0',
      context: 'context.safetensors',
      latent_multiple: 2,
      scale_factor: 2,
      scheduler: ['@yonos/sampler', 'DDIMScheduler'],
      unet: [LIB, 'ConvDenoiser'],
      vae: [LIB, 'PatchCodec'],
    });
    expect(Object.keys(readJson(join(folder, 'model_index.json')))).toEqual(
      [...Object.keys(readJson(join(folder, 'model_index.json')))].sort(),
    );
    for (const file of ['scheduler/scheduler_config.json', 'unet/config.json', 'vae/config.json', 'unet/diffusion_pytorch_model.safetensors', 'vae/diffusion_pytorch_model.safetensors', 'context.safetensors']) {
      expect(existsSync(join(folder, file))).toBe(true);
    }
    expect(readJson(join(folder, 'scheduler/scheduler_config.json'))).toMatchObject({ _class_name: 'DDIMScheduler', prediction_type: 'v_prediction' });

    const before = tf.memory().numTensors;
    const loaded = await YonosPipeline.fromPretrained(folder);
    expect(loaded.vae).toBeInstanceOf(PatchCodec);
    expect(loaded.unet).toBeInstanceOf(ConvDenoiser);
    expect(loaded.scheduler).toBeInstanceOf(DDIMScheduler);
    expect(loaded.scale).toBe(2);
    expect(loaded.context!.shape).toEqual([1, 3, 6]);
    const lr = testImage(1, 8, 8);
    const a = await pipe.run(lr, { seed: 9, steps: 2 });
    const b = await loaded.run(lr, { seed: 9, steps: 2 });
    expect(a.shape).toEqual([1, 16, 16, 3]);
    expect(await maxDiff(a, b)).toBe(0);
    tf.dispose([lr, a, b]);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    pipe.dispose();
  });

  it('keeps residual in model_index.json (written only when true) and rejects a non-boolean', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec({ mode: 'conv' }), unet: makeDenoiser(), scale: 2, residual: true });
    const folder = join(dir, 'residual');
    await pipe.savePretrained(folder);
    expect(readJson(join(folder, 'model_index.json'))['residual']).toBe(true);
    const loaded = await YonosPipeline.fromPretrained(folder);
    expect(loaded.residual).toBe(true);
    const lr = testImage(1, 8, 8);
    const a = await pipe.run(lr, { seed: 3 });
    const b = await loaded.run(lr, { seed: 3 });
    expect(await maxDiff(a, b)).toBe(0);
    tf.dispose([lr, a, b]);
    loaded.dispose();
    pipe.dispose();
    const { pipe: plain, folder: plainFolder } = await savedPipeline('not-residual');
    expect('residual' in readJson(join(plainFolder, 'model_index.json'))).toBe(false);
    rewriteIndex(plainFolder, { residual: 'yes' });
    await expect(YonosPipeline.fromPretrained(plainFolder)).rejects.toThrow(/"residual" must be true or false/);
    plain.dispose();
  });

  it('saves float16 weights under the default file names when asked; they load back within float16 precision', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec({ mode: 'conv' }), unet: makeDenoiser(), scale: 2 });
    const folder = join(dir, 'f16');
    await pipe.savePretrained(folder, { dtype: 'F16' });
    for (const sub of ['unet', 'vae']) {
      const bytes = readFileSync(join(folder, sub, 'diffusion_pytorch_model.safetensors'));
      const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype?: string }>;
      const dtypes = new Set(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => v.dtype));
      expect([...dtypes]).toEqual(['F16']);
    }
    const loaded = await YonosPipeline.fromPretrained(folder);
    const lr = testImage(1, 8, 8);
    const a = await pipe.run(lr, { seed: 4 });
    const b = await loaded.run(lr, { seed: 4 });
    const d = await maxDiff(a, b);
    console.info(`float16 folder vs float32 pipeline: max |diff| ${d.toExponential(2)}`);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(1e-2);
    tf.dispose([lr, a, b]);
    loaded.dispose();
    pipe.dispose();
  });

  it('takes caller components and a scale override instead of the folder entries', async () => {
    const { pipe, folder } = await savedPipeline('override');
    rewriteIndex(folder, { vae: ['@yonos/not-installed', 'Nope'] });
    const vae = makeCodec({ mode: 'local' }, 77);
    const loaded = await YonosPipeline.fromPretrained(folder, { components: { vae }, scale: 3 });
    expect(loaded.vae).toBe(vae);
    expect(loaded.scale).toBe(3);
    loaded.dispose();
    pipe.dispose();
  });

  it('resolves diffusers-written entries (["diffusers", "PatchCodec"]) through the registry', async () => {
    const { pipe, folder } = await savedPipeline('diffusers-names');
    rewriteIndex(folder, { vae: ['diffusers', 'PatchCodec'], unet: ['diffusers', 'ConvDenoiser'], scheduler: ['diffusers', 'DDIMScheduler'] });
    const loaded = await YonosPipeline.fromPretrained(folder);
    expect(loaded.vae).toBeInstanceOf(PatchCodec);
    loaded.dispose();
    pipe.dispose();
  });

  it('says which package to import when a class is unknown, and frees what it had loaded', async () => {
    const { pipe, folder } = await savedPipeline('unknown');
    // scheduler, unet and vae load in that order: the unet is loaded when the vae fails.
    rewriteIndex(folder, { vae: ['@yonos/not-installed', 'FancyVAE'] });
    const before = tf.memory().numTensors;
    const failure = YonosPipeline.fromPretrained(folder);
    await expect(failure).rejects.toThrow(UnknownPretrainedClassError);
    await expect(failure).rejects.toThrow(/import '@yonos\/not-installed' first or install it/);
    expect(tf.memory().numTensors).toBe(before);

    rewriteIndex(folder, { vae: 'AutoencoderKL' });
    await expect(YonosPipeline.fromPretrained(folder)).rejects.toThrow(/"vae" must be \["library", "ClassName"\]/);
    pipe.dispose();
  });

  it('refuses to save a component whose class is not registered', async () => {
    class Unregistered extends PatchCodec {}
    const pipe = new YonosPipeline({ vae: new Unregistered().initialize((await import('@yonos/core')).createRng(1)), unet: makeDenoiser() });
    await expect(pipe.savePretrained(join(dir, 'unregistered'))).rejects.toThrow(PretrainedError);
    await expect(pipe.savePretrained(join(dir, 'unregistered'))).rejects.toThrow(/registerPretrainedClass\('<package>', Unregistered\)/);
    expect(pipe.vae).toBeInstanceOf(Module);
    pipe.dispose();
  });
});
