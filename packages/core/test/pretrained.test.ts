import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import {
  ConfigMismatchError,
  PretrainedError,
  SafetensorsError,
  SafetensorsReader,
  UrlModelStore,
  WeightDtypeError,
  createRng,
  loadPretrained,
  readSafetensors,
  savePretrained,
  serializeSafetensors,
} from '../src/index.js';
import { Conv2d, Linear, Module, StateDictError } from '../src/nn/index.js';
import { childIndices, loadWeights } from '../src/pretrained/index.js';
import type { SafetensorsRawTensor } from '../src/index.js';
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

/** TinyModel that can tell its `channels` from the weights, as AutoencoderKL and the U-Nets do. */
class ExplainingTinyModel extends TinyModel {
  static override readonly className = 'TinyModel';
  static override fromConfig(config: ModelConfig): ExplainingTinyModel {
    return new ExplainingTinyModel({ channels: 4, ...config } as ModelConfig & { channels: number });
  }
  static configFromWeights(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
    return { channels: shapes.get('conv_in.weight')?.[0] };
  }
}

/** Saves a TinyModel with `channels` and rewrites its config.json as `config` (plus the class name). */
async function folderWith(name: string, channels: number, config: Record<string, unknown>): Promise<string> {
  const model = TinyModel.fromConfig({ channels }).initialize(createRng(6));
  const folder = join(dir, name);
  await savePretrained(model, folder);
  model.dispose();
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ _class_name: 'TinyModel', ...config }));
  return folder;
}

describe('loadPretrained: weights that do not fit config.json', () => {
  it('names the config file and the keys it lacks, whose defaults were used', async () => {
    const folder = await folderWith('defaulted', 6, { extra_key: 1 });
    const before = tf.memory().numTensors;
    const error = await loadPretrained(TinyModel, folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigMismatchError);
    expect(error).toBeInstanceOf(StateDictError);
    const e = error as ConfigMismatchError;
    expect(e.configFile).toBe(join(folder, 'config.json'));
    expect(e.weightsFile).toBe(join(folder, 'diffusion_pytorch_model.safetensors'));
    expect([...e.defaulted]).toEqual([['channels', 4]]);
    expect(e.conflicts).toEqual([]);
    expect(e.mismatched.map((m) => m.name).sort()).toEqual(['conv_in.bias', 'conv_in.weight', 'proj.weight']);
    expect(e.message).toContain(`The weights in ${e.weightsFile} do not fit the model built from ${e.configFile}.`);
    expect(e.message).toContain(`${e.configFile} lacks these keys, so the defaults were used: channels = 4.`);
    expect(e.message).toMatch(/mis-shaped keys \(3\)/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the keys whose values disagree with the weights when the class can read them', async () => {
    const folder = await folderWith('conflict', 6, {});
    const error = (await loadPretrained(ExplainingTinyModel, folder).catch((e: unknown) => e)) as ConfigMismatchError;
    expect(error).toBeInstanceOf(ConfigMismatchError);
    expect(error.conflicts).toEqual([{ key: 'channels', config: 4, weights: 6, defaulted: true }]);
    expect(error.message).toContain(
      'Config keys that disagree with the weights: channels: the weights have 6, but config.json lacks the key, so the default 4 was used.',
    );

    const stated = await folderWith('conflict-stated', 6, { channels: 5 });
    const other = (await loadPretrained(ExplainingTinyModel, stated).catch((e: unknown) => e)) as ConfigMismatchError;
    expect(other.conflicts).toEqual([{ key: 'channels', config: 5, weights: 6, defaulted: false }]);
    expect(other.defaulted.size).toBe(0);
    expect(other.message).toContain('channels: the weights have 6, config.json says 5');
  });
});

/** A TinyModel folder whose weights file stores the tensors named in `stored` as given. */
async function folderStoring(name: string, stored: Record<string, SafetensorsRawTensor>): Promise<{ folder: string; model: TinyModel }> {
  const model = TinyModel.fromConfig({}).initialize(createRng(7));
  const folder = join(dir, name);
  await savePretrained(model, folder);
  const weights = model.stateDict({ layout: 'torch' });
  const bytes = await serializeSafetensors({ ...Object.fromEntries(weights), ...stored }, { metadata: { format: 'pt' } });
  tf.dispose([...weights.values()]);
  writeFileSync(join(folder, 'diffusion_pytorch_model.safetensors'), bytes);
  return { folder, model };
}

describe('loadPretrained / loadWeights: stored dtypes', () => {
  // conv_in.weight is [4, 3, 3, 3] in PyTorch layout: 108 values; proj.weight [2, 4].
  const i16 = Int16Array.from({ length: 108 }, (_, i) => (i % 5) - 2);
  const u8 = Uint8Array.from({ length: 8 }, (_, i) => i);

  it('refuses float parameters stored as integers, naming each key and dtype, before assigning anything', async () => {
    const { folder, model } = await folderStoring('int-weights', {
      'conv_in.weight': { dtype: 'I16', shape: [4, 3, 3, 3], data: i16 },
      'proj.weight': { dtype: 'U8', shape: [2, 4], data: u8 },
    });
    const before = tf.memory().numTensors;
    const error = await loadPretrained(TinyModel, folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightDtypeError);
    expect(error).toBeInstanceOf(SafetensorsError);
    const e = error as WeightDtypeError;
    expect(e.problems).toEqual([
      { name: 'conv_in.weight', dtype: 'I16' },
      { name: 'proj.weight', dtype: 'U8' },
    ]);
    expect(e.message).toContain(join(folder, 'diffusion_pytorch_model.safetensors'));
    expect(e.message).toContain('conv_in.weight (I16), proj.weight (U8)');
    expect(e.message).toContain('{ allowDtypeCast: true }');
    expect(tf.memory().numTensors).toBe(before);

    // Straight through loadWeights: the initialized model keeps every value.
    const values = await valuesOf(model);
    const reader = SafetensorsReader.fromBytes(readFileSync(join(folder, 'diffusion_pytorch_model.safetensors')));
    await expect(loadWeights(model, reader)).rejects.toThrow(WeightDtypeError);
    expect(await valuesOf(model)).toEqual(values);
    model.dispose();
  });

  it('casts integer weights when allowDtypeCast is set', async () => {
    const { folder, model } = await folderStoring('int-weights-cast', {
      'conv_in.weight': { dtype: 'I16', shape: [4, 3, 3, 3], data: i16 },
      'proj.weight': { dtype: 'U8', shape: [2, 4], data: u8 },
    });
    const loaded = await loadPretrained(TinyModel, folder, { allowDtypeCast: true });
    const torch = loaded.stateDict({ layout: 'torch' });
    expect(Array.from(await torch.get('conv_in.weight')!.data())).toEqual(Array.from(i16));
    expect(Array.from(await torch.get('proj.weight')!.data())).toEqual(Array.from(u8));
    tf.dispose([...torch.values()]);
    loaded.dispose();
    model.dispose();
  });

  it('refuses dtypes tfjs cannot hold before reading any value, even with allowDtypeCast', async () => {
    const { folder, model } = await folderStoring('f8-weights', {
      'proj.weight': { dtype: 'F8_E4M3', shape: [2, 4], data: u8 },
    });
    const before = tf.memory().numTensors;
    const error = (await loadPretrained(TinyModel, folder, { allowDtypeCast: true }).catch((e: unknown) => e)) as WeightDtypeError;
    expect(error).toBeInstanceOf(WeightDtypeError);
    expect(error.problems).toEqual([{ name: 'proj.weight', dtype: 'F8_E4M3' }]);
    expect(error.message).toContain('proj.weight (F8_E4M3)');
    expect(error.message).toContain('tfjs cannot represent');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('loads F64 weights without allowDtypeCast', async () => {
    const { folder, model } = await folderStoring('float-kinds', {
      'proj.weight': { dtype: 'F64', shape: [2, 4], data: Float64Array.from(u8, (v) => v / 8) },
    });
    const loaded = await loadPretrained(TinyModel, folder);
    const torch = loaded.stateDict({ layout: 'torch' });
    expect(Array.from(await torch.get('proj.weight')!.data())).toEqual(Array.from(u8, (v) => v / 8));
    tf.dispose([...torch.values()]);
    loaded.dispose();
    model.dispose();
  });
});

describe('childIndices', () => {
  it('lists the numbered children of a prefix in order', () => {
    const shapes = new Map<string, number[]>([
      ['down_blocks.10.resnets.0.conv1.weight', [1]],
      ['down_blocks.2.resnets.1.conv1.weight', [1]],
      ['down_blocks.2.resnets.0.conv1.weight', [1]],
      ['down_blocks_extra.3.weight', [1]],
      ['layers.0.weight', [1]],
      ['layers.x.weight', [1]],
    ]);
    expect(childIndices(shapes, 'down_blocks')).toEqual([2, 10]);
    expect(childIndices(shapes, 'down_blocks.2.resnets')).toEqual([0, 1]);
    expect(childIndices(shapes, 'layers')).toEqual([0]);
    expect(childIndices(shapes, 'up_blocks')).toEqual([]);
  });
});
