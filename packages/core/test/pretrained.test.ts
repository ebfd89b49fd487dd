import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import {
  Conv2d,
  Linear,
  Module,
  PretrainedError,
  StateDictError,
  UrlModelStore,
  createRng,
  loadPretrained,
  readSafetensors,
  savePretrained,
} from '../src/index.js';
import type { ModelConfig } from '../src/index.js';

/** A two-layer model with a config, standing in for AutoencoderKL / UNet2DConditionModel. */
class TinyModel extends Module {
  static readonly className = 'TinyModel';
  readonly conv_in: Conv2d;
  readonly proj: Linear;
  constructor(readonly config: ModelConfig & { channels: number }) {
    super();
    this.conv_in = new Conv2d(3, config.channels, 3, { padding: 1 });
    this.proj = new Linear(config.channels, 2);
  }
  static fromConfig(config: ModelConfig): TinyModel {
    return new TinyModel({ channels: 4, ...config } as ModelConfig & { channels: number });
  }
}

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'yonos-pretrained-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function valuesOf(model: Module): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const [name, p] of model.namedParameters()) out.set(name, Array.from(await p.value.data()));
  return out;
}

describe('savePretrained / loadPretrained', () => {
  it('round-trips losslessly in the diffusers layout', async () => {
    const before = tf.memory().numTensors;
    const model = TinyModel.fromConfig({ channels: 4, extra_key: 'kept' }).initialize(createRng(1));
    const folder = join(dir, 'tiny');
    await savePretrained(model, folder);

    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    expect(config._class_name).toBe('TinyModel');
    expect(config._diffusers_version).toBe('0.25.0');
    expect(config.extra_key).toBe('kept');
    expect(Object.keys(config)).toEqual([...Object.keys(config)].sort());

    const file = readSafetensors(readFileSync(join(folder, 'diffusion_pytorch_model.safetensors')));
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.get('conv_in.weight')!.shape).toEqual([4, 3, 3, 3]); // PyTorch OIHW
    expect(file.tensors.get('proj.weight')!.shape).toEqual([2, 4]); // PyTorch [out, in]
    tf.dispose([...file.tensors.values()]);

    const loaded = await loadPretrained(TinyModel, folder);
    expect(await valuesOf(loaded)).toEqual(await valuesOf(model));
    loaded.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes and reads an fp16 variant', async () => {
    const model = TinyModel.fromConfig({}).initialize(createRng(2));
    const folder = join(dir, 'fp16');
    await savePretrained(model, folder, { variant: 'fp16' });
    await expect(loadPretrained(TinyModel, folder)).rejects.toThrow(/no diffusion_pytorch_model\.safetensors/);
    const loaded = await loadPretrained(TinyModel, folder, { variant: 'fp16' });
    const a = await valuesOf(model);
    for (const [name, values] of await valuesOf(loaded)) {
      const ref = a.get(name)!;
      values.forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThanOrEqual(Math.abs(ref[i]!) * 1e-3 + 1e-7));
    }
    loaded.dispose();
    model.dispose();
  });

  it('rejects a checkpoint that does not fit its config, listing every key, before reading data', async () => {
    const model = TinyModel.fromConfig({ channels: 4 }).initialize(createRng(3));
    const folder = join(dir, 'mismatch');
    await savePretrained(model, folder);
    model.dispose();
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, channels: 5 }));
    const before = tf.memory().numTensors;
    const error = await loadPretrained(TinyModel, folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    const names = (error as StateDictError).mismatched.map((m) => m.name).sort();
    expect(names).toEqual(['conv_in.bias', 'conv_in.weight', 'proj.weight']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the class when a folder holds another model', async () => {
    const folder = join(dir, 'other');
    const model = TinyModel.fromConfig({}).initialize(createRng(4));
    await savePretrained(model, folder);
    model.dispose();
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ _class_name: 'AutoencoderKL' }));
    await expect(loadPretrained(TinyModel, folder)).rejects.toThrow(PretrainedError);
    await expect(loadPretrained(TinyModel, folder)).rejects.toThrow(/AutoencoderKL, not a TinyModel/);
    await expect(loadPretrained(TinyModel, join(dir, 'does-not-exist'))).rejects.toThrow(PretrainedError);
  });

  it('loads from a URL', async () => {
    const model = TinyModel.fromConfig({}).initialize(createRng(5));
    const folder = join(dir, 'served');
    await savePretrained(model, folder, { subfolder: 'unet' });
    const server = createServer((req, res) => {
      try {
        const body = readFileSync(join(folder, decodeURIComponent(req.url ?? '/')));
        res.writeHead(200).end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/`;
      const loaded = await loadPretrained(TinyModel, url, { subfolder: 'unet' });
      expect(await valuesOf(loaded)).toEqual(await valuesOf(model));
      loaded.dispose();
      const viaStore = await loadPretrained(TinyModel, new UrlModelStore(url), { subfolder: 'unet' });
      viaStore.dispose();
    } finally {
      server.close();
      model.dispose();
    }
  });
});
