// fromPretrained / savePretrained in diffusers' folder layout, and typed errors for checkpoints
// that do not match their config.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigMismatchError, PretrainedError, StateDictError, createRng, useBackend } from '@yonos/core';
import { float16BitsToFloat32, float32ToFloat16Bits } from '@yonos/core/internal';
import { openSafetensorsFile } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, UNet2DModel } from '../src/index.js';
import { FIXTURES } from './helpers/fixtures.js';
import type { UnetCase } from './helpers/fixtures.js';

const WEIGHTS = 'diffusion_pytorch_model.safetensors';
let tmp: string;

beforeAll(async () => {
  await useBackend('wasm');
  tmp = mkdtempSync(join(tmpdir(), 'yonos-unet-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const classFor = (name: UnetCase): typeof UNet2DConditionModel | typeof UNet2DModel =>
  name === 'unet2d-tiny' ? UNet2DModel : UNet2DConditionModel;

/** Whether two state dicts hold bit-identical tensors under the same names. */
async function sameStateDicts(a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>): Promise<string[]> {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  const differing: string[] = [];
  for (const [name, t] of a) {
    const u = b.get(name)!;
    const x = await t.data();
    const y = await u.data();
    if (t.shape.join() !== u.shape.join() || x.length !== y.length || x.some((v, i) => !Object.is(v, y[i]))) differing.push(name);
  }
  return differing;
}

describe.each(['unet-sd2-tiny', 'unet-sd1-tiny', 'unet2d-tiny'] as const)('%s folder', (name) => {
  const dir = join(FIXTURES, name);

  test('fromPretrained loads every tensor of the diffusers folder unchanged', async () => {
    const model = await classFor(name).fromPretrained(dir);
    const reader = await openSafetensorsFile(join(dir, WEIGHTS));
    try {
      const ours = model.stateDict();
      const theirs = new Map<string, tf.Tensor>();
      for (const key of reader.keys()) theirs.set(key, await reader.tensor(key));
      expect(await sameStateDicts(ours, theirs)).toEqual([]);
      tf.dispose([...ours.values(), ...theirs.values()]);
    } finally {
      await reader.close();
      model.dispose();
    }
  });

  test('savePretrained writes what diffusers writes: same config, names, dtypes, shapes, metadata and bytes', async () => {
    const model = await classFor(name).fromPretrained(dir);
    const out = join(tmp, `${name}-saved`);
    await model.savePretrained(out);
    model.dispose();

    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    const expectedConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toEqual(expectedConfig);

    const saved = await openSafetensorsFile(join(out, WEIGHTS));
    const original = await openSafetensorsFile(join(dir, WEIGHTS));
    try {
      expect(saved.metadata).toEqual({ format: 'pt' });
      expect(saved.keys().sort()).toEqual(original.keys().sort());
      for (const key of original.keys()) {
        const a = saved.info(key);
        const b = original.info(key);
        expect([key, a.dtype, a.shape]).toEqual([key, b.dtype, b.shape]);
        expect(Buffer.from((await saved.readRaw(key)).buffer).equals(Buffer.from((await original.readRaw(key)).buffer)), key).toBe(true);
      }
    } finally {
      await saved.close();
      await original.close();
    }
  });
});

describe('round trips', () => {
  test('save then load is lossless (every tensor bit-identical, same output)', async () => {
    const config = JSON.parse(readFileSync(join(FIXTURES, 'unet-sd1-tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
    const model = UNet2DConditionModel.fromConfig({ ...config, only_cross_attention: [false, true] }).initialize(createRng(7));
    const out = join(tmp, 'roundtrip');
    await model.savePretrained(out, { subfolder: 'unet' });
    const loaded = await UNet2DConditionModel.fromPretrained(out, { subfolder: 'unet' });
    expect(loaded.config).toEqual(model.config);
    const a = model.stateDict();
    const b = loaded.stateDict();
    expect(await sameStateDicts(a, b)).toEqual([]);
    tf.dispose([...a.values(), ...b.values()]);

    const x = tf.tidy(() => tf.sin(tf.reshape(tf.range(0, 2 * 8 * 8 * 8), [2, 8, 8, 8]))) as tf.Tensor4D;
    const ctx = tf.tidy(() => tf.cos(tf.reshape(tf.range(0, 2 * 3 * 16), [2, 3, 16]))) as tf.Tensor3D;
    const y1 = model.forward(x, 250, ctx);
    const y2 = loaded.forward(x, 250, ctx);
    expect(Array.from(await y1.data())).toEqual(Array.from(await y2.data()));
    tf.dispose([x, ctx, y1, y2]);
    model.dispose();
    loaded.dispose();
  });

  test('the fp16 variant stores float16 and loads the float16-rounded values', async () => {
    const model = UNet2DModel.fromConfig(JSON.parse(readFileSync(join(FIXTURES, 'unet2d-tiny', 'config.json'), 'utf8'))).initialize(
      createRng(3),
    );
    const out = join(tmp, 'fp16');
    await model.savePretrained(out, { variant: 'fp16' });
    const reader = await openSafetensorsFile(join(out, 'diffusion_pytorch_model.fp16.safetensors'));
    expect(reader.keys().every((k) => reader.info(k).dtype === 'F16')).toBe(true);
    await reader.close();
    const loaded = await UNet2DModel.fromPretrained(out, { variant: 'fp16' });
    const a = model.stateDict();
    const b = loaded.stateDict();
    for (const [key, t] of a) {
      const expected = float16BitsToFloat32(float32ToFloat16Bits((await t.data()) as Float32Array));
      expect(Array.from(await b.get(key)!.data()), key).toEqual(Array.from(expected));
    }
    tf.dispose([...a.values(), ...b.values()]);
    model.dispose();
    loaded.dispose();
  });
});

describe('checkpoints that do not match the config', () => {
  test('one StateDictError lists every missing, unexpected and mis-shaped key', async () => {
    const src = join(FIXTURES, 'unet-sd1-tiny');
    const dir = join(tmp, 'mismatch');
    const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
    // Context width 24 instead of 16 (mis-shaped to_k/to_v of every attn2), cross-attention on
    // level 1 too (missing), and a mid block without attention (unexpected keys).
    const changed = {
      ...config,
      cross_attention_dim: 24,
      down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
      mid_block_type: 'UNetMidBlock2D',
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(changed));
    copyFileSync(join(src, WEIGHTS), join(dir, WEIGHTS));

    const expectedShapes = UNet2DConditionModel.fromConfig(changed).expectedShapes();
    const reader = await openSafetensorsFile(join(src, WEIGHTS));
    const stored = new Map(reader.keys().map((k) => [k, [...reader.info(k).shape]] as const));
    await reader.close();
    const missing = [...expectedShapes.keys()].filter((k) => !stored.has(k)).sort();
    const unexpected = [...stored.keys()].filter((k) => !expectedShapes.has(k)).sort();
    const misShaped = [...expectedShapes]
      .filter(([k, s]) => stored.has(k) && s.join() !== stored.get(k)!.join())
      .map(([k]) => k)
      .sort();
    expect(missing.length * unexpected.length * misShaped.length).toBeGreaterThan(0);

    const before = tf.memory().numTensors;
    const err = await UNet2DConditionModel.fromPretrained(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StateDictError);
    const e = err as StateDictError;
    expect([...e.missing].sort()).toEqual(missing);
    expect([...e.unexpected].sort()).toEqual(unexpected);
    expect(e.mismatched.map((m) => m.name).sort()).toEqual(misShaped);
    const toK = e.mismatched.find((m) => m.name === 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight');
    expect(toK).toEqual({ name: 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight', expected: [32, 24], got: [32, 16] });
    expect(e.message).toMatch(/missing keys.*unexpected keys.*mis-shaped keys/s);
    expect(tf.memory().numTensors, 'a failed load must free what it allocated').toBe(before);
  });

  test('the error names config.json and the keys that disagree with the weights, defaulted or not', async () => {
    // A config.json that lacks block_out_channels (as the bundled model's would): diffusers'
    // default [224, 448, 672, 896] is used, as diffusers does, and the weights cannot load.
    const levels = 4;
    const saved = UNet2DModel.fromConfig({
      block_out_channels: [8, 8, 16, 16],
      down_block_types: Array(levels).fill('DownBlock2D'),
      up_block_types: Array(levels).fill('UpBlock2D'),
      layers_per_block: 1,
      norm_num_groups: 8,
      add_attention: false,
    }).initialize(createRng(1));
    const dir = join(tmp, 'defaulted-channels');
    await saved.savePretrained(dir);
    saved.dispose();
    const { block_out_channels: _, ...config } = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const before = tf.memory().numTensors;
    const e = (await UNet2DModel.fromPretrained(dir).catch((error: unknown) => error)) as ConfigMismatchError;
    expect(e).toBeInstanceOf(ConfigMismatchError);
    expect(e).toBeInstanceOf(StateDictError);
    expect(e.configFile).toBe(join(dir, 'config.json'));
    expect(e.conflicts).toEqual([{ key: 'block_out_channels', config: [224, 448, 672, 896], weights: [8, 8, 16, 16], defaulted: true }]);
    expect([...e.defaulted.keys()]).toEqual(['block_out_channels']);
    expect(e.message).toContain(`do not fit the model built from ${join(dir, 'config.json')}`);
    expect(e.message).toContain(
      'block_out_channels: the weights have [8,8,16,16], but config.json lacks the key, so the default [224,448,672,896] was used',
    );
    expect(tf.memory().numTensors).toBe(before);

    // UNet2DModel: a stated layers_per_block that the weights contradict.
    const src2 = join(FIXTURES, 'unet2d-tiny');
    const dir2 = join(tmp, 'stated-layers');
    const config2 = JSON.parse(readFileSync(join(src2, 'config.json'), 'utf8')) as Record<string, unknown>;
    mkdirSync(dir2, { recursive: true });
    writeFileSync(join(dir2, 'config.json'), JSON.stringify({ ...config2, layers_per_block: 2, in_channels: 4 }));
    copyFileSync(join(src2, WEIGHTS), join(dir2, WEIGHTS));
    const e2 = (await UNet2DModel.fromPretrained(dir2).catch((error: unknown) => error)) as ConfigMismatchError;
    expect(e2).toBeInstanceOf(ConfigMismatchError);
    expect(e2.conflicts).toEqual([
      { key: 'in_channels', config: 4, weights: 6, defaulted: false },
      { key: 'layers_per_block', config: 2, weights: 1, defaulted: false },
    ]);
    expect(e2.defaulted.size).toBe(0);
    expect(e2.message).toContain('layers_per_block: the weights have 1, config.json says 2');
  });

  test('configFromWeights reads the fixtures\' configs back from their weights', async () => {
    for (const name of ['unet-sd2-tiny', 'unet-sd1-tiny', 'unet2d-tiny', 'sd-x4-upscaler-tiny/unet'] as const) {
      const dir = join(FIXTURES, name);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      const reader = await openSafetensorsFile(join(dir, WEIGHTS));
      const shapes = new Map(reader.keys().map((k) => [k, reader.info(k).shape] as const));
      await reader.close();
      const cls = config['_class_name'] === 'UNet2DModel' ? UNet2DModel : UNet2DConditionModel;
      const implied = cls.configFromWeights(shapes);
      const classKeys = ['num_class_embeds', 'class_embeddings_concat', ...(shapes.has('class_embedding.weight') ? ['class_embed_type'] : [])];
      const keys = ['in_channels', 'out_channels', 'block_out_channels', 'layers_per_block', ...(cls === UNet2DConditionModel ? ['cross_attention_dim', ...classKeys] : [])];
      expect(Object.keys(implied).sort(), name).toEqual(keys.sort());
      for (const key of keys) expect(implied[key], `${name} ${key}`).toEqual(config[key]);
    }
  });

  test('a folder of another class is refused by name', async () => {
    await expect(UNet2DConditionModel.fromPretrained(join(FIXTURES, 'unet2d-tiny'))).rejects.toThrow(PretrainedError);
    await expect(UNet2DConditionModel.fromPretrained(join(FIXTURES, 'unet2d-tiny'))).rejects.toThrow(/UNet2DModel/);
  });

  test('loadStateDict with a wrong tensor reports it and assigns nothing', () => {
    const config = JSON.parse(readFileSync(join(FIXTURES, 'unet2d-tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
    const model = UNet2DModel.fromConfig(config);
    const bad = tf.zeros([3, 3]);
    expect(() => model.loadStateDict({ 'conv_in.weight': bad })).toThrow(StateDictError);
    expect(model.parameters().some((p) => p.isInitialized)).toBe(false);
    bad.dispose();
  });
});
