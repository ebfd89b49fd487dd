import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PretrainedError, StateDictError, parseSafetensorsHeader, useBackend } from '@yonos/core';
import { openSafetensorsFile, readSafetensorsFile, writeSafetensorsFile } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL } from '../src/index.js';
import { PARITY_TOL, VAE_TINY, disposeIo, loadTinyIo, loadTinyWithStateDict, relError, tinyConfig } from './helpers.js';
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
