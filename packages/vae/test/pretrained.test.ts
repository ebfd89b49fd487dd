import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigMismatchError, PretrainedError, parseSafetensorsHeader, useBackend, StateDictError } from '@yonos/core';
import { openSafetensorsFile, readSafetensorsFile, writeSafetensorsFile } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL, AutoencoderTiny, VaeConfigError } from '../src/index.js';
import { DIFFUSERS_FIXTURES, PARITY_TOL, VAE_TINY, disposeIo, loadTinyIo, loadTinyWithStateDict, relError, tinyConfig } from './helpers.js';
import type { TinyIo } from './helpers.js';

const WEIGHTS = 'diffusion_pytorch_model.safetensors';
const WEIGHTS_FP16 = 'diffusion_pytorch_model.fp16.safetensors';

/** dtype and shape of every tensor in a safetensors file, plus its metadata. */
async function headerOf(path: string): Promise<{ tensors: Record<string, string>; metadata: unknown }> {
  const reader = await openSafetensorsFile(path);
  try {
    const tensors: Record<string, string> = {};
    for (const name of reader.keys()) {
      const info = reader.info(name);
      tensors[name] = `${info.dtype}[${info.shape.join(',')}]`;
    }
    return { tensors, metadata: reader.metadata };
  } finally {
    await reader.close();
  }
}

/** The bytes after a safetensors file's header (the tensor data, in file order). */
async function dataSection(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  return bytes.subarray(parseSafetensorsHeader(bytes).dataStart);
}

/** Largest |a - b| over all parameters of two models with the same names. */
async function maxParamDiff(a: AutoencoderKL, b: AutoencoderKL): Promise<number> {
  const bp = new Map(b.namedParameters());
  let worst = 0;
  for (const [name, p] of a.namedParameters()) {
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(p.value, bp.get(name)!.value))));
    worst = Math.max(worst, (await d.data())[0]!);
    d.dispose();
  }
  return worst;
}

describe('AutoencoderKL.fromPretrained / savePretrained (diffusers folder layout)', () => {
  let io: TinyIo;
  let dir: string;

  beforeAll(async () => {
    await useBackend('cpu');
    io = await loadTinyIo();
    dir = await mkdtemp(join(tmpdir(), 'yonos-vae-'));
  });

  afterAll(async () => {
    disposeIo(io);
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the vae-tiny folder and reproduces diffusers', async () => {
    const before = tf.memory().numTensors;
    const vae = await AutoencoderKL.fromPretrained(VAE_TINY);
    expect(vae.config).toEqual(tinyConfig());
    const reference = await loadTinyWithStateDict();
    expect(await maxParamDiff(vae, reference)).toBe(0);
    reference.dispose();
    const p = vae.encode(io.image);
    const decoded = vae.decode(io.z);
    expect(await relError(p.mean, io.mean)).toBeLessThanOrEqual(PARITY_TOL);
    expect(await relError(decoded, io.decoded)).toBeLessThanOrEqual(PARITY_TOL);
    p.dispose();
    decoded.dispose();
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("loads the fp16 variant, which agrees with fp32 to 1e-2", async () => {
    const fp32 = await AutoencoderKL.fromPretrained(VAE_TINY);
    const fp16 = await AutoencoderKL.fromPretrained(VAE_TINY, { variant: 'fp16' });
    // It really is the half-precision file: weights differ by float16 rounding, no more.
    const paramDiff = await maxParamDiff(fp16, fp32);
    expect(paramDiff).toBeGreaterThan(0);
    expect(paramDiff).toBeLessThan(1e-3);
    const errors: Record<string, number> = {};
    const p32 = fp32.encode(io.image);
    const p16 = fp16.encode(io.image);
    errors['mean'] = await relError(p16.mean, p32.mean);
    errors['logvar'] = await relError(p16.logvar, p32.logvar);
    const d32 = fp32.decode(io.z);
    const d16 = fp16.decode(io.z);
    errors['decoded'] = await relError(d16, d32);
    console.log('fp16 variant vs fp32 (relative):', errors);
    for (const e of Object.values(errors)) expect(e).toBeLessThanOrEqual(1e-2);
    tf.dispose([d32, d16]);
    p32.dispose();
    p16.dispose();
    fp32.dispose();
    fp16.dispose();
  });

  it('savePretrained writes what diffusers writes, and loading it back is lossless', async () => {
    const out = join(dir, 'roundtrip');
    const vae = await AutoencoderKL.fromPretrained(VAE_TINY);
    const before = tf.memory().numTensors;
    await vae.savePretrained(out);
    expect(tf.memory().numTensors).toBe(before);

    const writtenConfig = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(writtenConfig).toEqual(tinyConfig());
    expect(Object.keys(writtenConfig)).toEqual(Object.keys(tinyConfig()).sort());
    expect(await headerOf(join(out, WEIGHTS))).toEqual(await headerOf(join(VAE_TINY, WEIGHTS)));
    // Same order and offsets too: the data section is byte for byte what diffusers wrote.
    expect((await dataSection(join(out, WEIGHTS))).equals(await dataSection(join(VAE_TINY, WEIGHTS)))).toBe(true);

    const back = await AutoencoderKL.fromPretrained(out);
    expect(back.config).toEqual(vae.config);
    expect(await maxParamDiff(back, vae)).toBe(0);
    back.dispose();
    vae.dispose();
  });

  it('saves and reloads the fp16 variant as diffusers names it', async () => {
    const out = join(dir, 'fp16');
    const vae = await AutoencoderKL.fromPretrained(VAE_TINY);
    await vae.savePretrained(out, { variant: 'fp16' });
    expect(await headerOf(join(out, WEIGHTS_FP16))).toEqual(await headerOf(join(VAE_TINY, WEIGHTS_FP16)));
    // float32 -> float16 rounds exactly as PyTorch's .half() did.
    expect((await dataSection(join(out, WEIGHTS_FP16))).equals(await dataSection(join(VAE_TINY, WEIGHTS_FP16)))).toBe(true);
    const a = await AutoencoderKL.fromPretrained(out, { variant: 'fp16' });
    const b = await AutoencoderKL.fromPretrained(VAE_TINY, { variant: 'fp16' });
    expect(await maxParamDiff(a, b)).toBe(0);
    await expect(AutoencoderKL.fromPretrained(out)).rejects.toThrow(PretrainedError);
    a.dispose();
    b.dispose();
    vae.dispose();
  });

  it('rejects a checkpoint that does not match its config with one error listing every bad key', async () => {
    const out = join(dir, 'broken');
    const { tensors } = await readSafetensorsFile(join(VAE_TINY, WEIGHTS));
    const dropped = 'decoder.up_blocks.1.resnets.2.conv1.bias';
    const reshaped = 'encoder.mid_block.attentions.0.to_q.weight';
    const extra = 'encoder.mid_block.attentions.0.to_out.1.weight';
    const broken = new Map(tensors);
    broken.delete(dropped);
    broken.set(reshaped, tf.zeros([32, 16]));
    broken.set(extra, tf.zeros([4]));
    await mkdir(out, { recursive: true });
    await writeSafetensorsFile(join(out, WEIGHTS), broken);
    await copyFile(join(VAE_TINY, 'config.json'), join(out, 'config.json'));
    tf.dispose([...tensors.values(), broken.get(reshaped)!, broken.get(extra)!]);

    const before = tf.memory().numTensors;
    const error = await AutoencoderKL.fromPretrained(out).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateDictError);
    const e = error as StateDictError;
    expect(e.missing).toEqual([dropped]);
    expect(e.unexpected).toEqual([extra]);
    expect(e.mismatched).toEqual([{ name: reshaped, expected: [32, 32], got: [32, 16] }]);
    for (const name of [dropped, reshaped, extra]) expect(e.message).toContain(name);
    expect(tf.memory().numTensors).toBe(before);

    // A config that disagrees with the weights (one resnet fewer per block) fails the same way.
    const config = { ...tinyConfig(), layers_per_block: 1 };
    await writeFile(join(out, 'config.json'), JSON.stringify(config));
    await copyFile(join(VAE_TINY, WEIGHTS), join(out, WEIGHTS));
    const error2 = (await AutoencoderKL.fromPretrained(out).catch((x: unknown) => x)) as StateDictError;
    expect(error2).toBeInstanceOf(StateDictError);
    expect(error2.missing).toEqual([]);
    expect(error2.unexpected).toContain('encoder.down_blocks.0.resnets.1.conv1.weight');
    expect(error2.unexpected).toContain('decoder.up_blocks.2.resnets.2.norm2.bias');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('config.json that does not fit the weights', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'yonos-vae-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A copy of vae-tiny whose config.json is `config`. */
  async function folderWith(name: string, config: Record<string, unknown>): Promise<string> {
    const out = join(dir, name);
    await mkdir(out, { recursive: true });
    await copyFile(join(VAE_TINY, WEIGHTS), join(out, WEIGHTS));
    await writeFile(join(out, 'config.json'), JSON.stringify(config));
    return out;
  }

  it('names config.json, the keys it lacks and the ones the weights contradict', async () => {
    // A config.json without block_out_channels and the block types: diffusers' one-level
    // default ([64]) is used, as in diffusers, and the three-level weights cannot load.
    const { block_out_channels: _b, down_block_types: _d, up_block_types: _u, ...config } = tinyConfig();
    const out = await folderWith('defaulted', { ...config, latent_channels: 8 });
    const before = tf.memory().numTensors;
    const e = (await AutoencoderKL.fromPretrained(out).catch((x: unknown) => x)) as ConfigMismatchError;
    expect(e).toBeInstanceOf(ConfigMismatchError);
    expect(e).toBeInstanceOf(StateDictError);
    expect(e.configFile).toBe(join(out, 'config.json'));
    expect(e.conflicts).toEqual([
      { key: 'block_out_channels', config: [64], weights: [16, 32, 32], defaulted: true },
      { key: 'latent_channels', config: 8, weights: 4, defaulted: false },
    ]);
    expect([...e.defaulted]).toEqual([
      ['block_out_channels', [64]],
      ['down_block_types', ['DownEncoderBlock2D']],
      ['up_block_types', ['UpDecoderBlock2D']],
    ]);
    expect(e.message).toContain(`The weights in ${join(out, WEIGHTS)} do not fit the model built from ${e.configFile}.`);
    expect(e.message).toContain('block_out_channels: the weights have [16,32,32], but config.json lacks the key, so the default [64] was used');
    expect(e.message).toContain('latent_channels: the weights have 4, config.json says 8');
    expect(e.message).toContain(
      `${e.configFile} lacks these keys, so the defaults were used: block_out_channels = [64], down_block_types = ["DownEncoderBlock2D"], up_block_types = ["UpDecoderBlock2D"].`,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a config the class rejects is reported with the config file', async () => {
    const { block_out_channels: _b, ...config } = tinyConfig();
    const out = await folderWith('rejected', config);
    const e = (await AutoencoderKL.fromPretrained(out).catch((x: unknown) => x)) as VaeConfigError;
    expect(e).toBeInstanceOf(VaeConfigError);
    expect(e.message.startsWith(`${join(out, 'config.json')}: Invalid AutoencoderKL config.`)).toBe(true);
    expect(e.message).toContain('down_block_types: has 3 entries but block_out_channels has 1');
  });

  it('configFromWeights reads the fixtures\' configs back from their weights', async () => {
    const cases = [
      { cls: AutoencoderKL, folder: VAE_TINY, keys: ['in_channels', 'block_out_channels', 'layers_per_block', 'latent_channels', 'out_channels'] },
      { cls: AutoencoderKL, folder: join(DIFFUSERS_FIXTURES, 'sd-x4-upscaler-tiny', 'vae'), keys: ['in_channels', 'block_out_channels', 'layers_per_block', 'latent_channels', 'out_channels'] },
      {
        cls: AutoencoderTiny,
        folder: join(DIFFUSERS_FIXTURES, 'vae-tiny-taesd'),
        keys: ['in_channels', 'latent_channels', 'out_channels', 'encoder_block_out_channels', 'num_encoder_blocks', 'decoder_block_out_channels', 'num_decoder_blocks'],
      },
    ];
    for (const { cls, folder, keys } of cases) {
      const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
      const reader = await openSafetensorsFile(join(folder, WEIGHTS));
      const shapes = new Map(reader.keys().map((k) => [k, reader.info(k).shape] as const));
      await reader.close();
      const implied = cls.configFromWeights(shapes);
      expect(Object.keys(implied).sort(), folder).toEqual([...keys].sort());
      for (const key of keys) expect(implied[key], `${folder} ${key}`).toEqual(config[key]);
    }
    // TAESD's default layout (four levels, [1, 3, 3, 3] / [3, 3, 3, 1] blocks), from names alone.
    const taesd = AutoencoderTiny.configFromWeights(AutoencoderTiny.fromConfig({}).expectedShapes());
    expect(taesd).toEqual({
      in_channels: 3,
      latent_channels: 4,
      out_channels: 3,
      encoder_block_out_channels: [64, 64, 64, 64],
      num_encoder_blocks: [1, 3, 3, 3],
      decoder_block_out_channels: [64, 64, 64, 64],
      num_decoder_blocks: [3, 3, 3, 1],
    });
  });
});
