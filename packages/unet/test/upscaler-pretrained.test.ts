// The unet/ subfolder of the sd-x4-upscaler-tiny pipeline folder through fromPretrained /
// savePretrained: every tensor loads unchanged (class_embedding.weight included), a save writes what
// diffusers wrote, and a config.json that disagrees with the class table is named in the error.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigMismatchError, useBackend } from '@yonos/core';
import { openSafetensorsFile } from '@yonos/core/node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { UNet2DConditionModel } from '../src/index.js';
import { UPSCALER_DIR } from './helpers/upscaler-fixture.js';

const WEIGHTS = 'diffusion_pytorch_model.safetensors';
const UNET_DIR = join(UPSCALER_DIR, 'unet');
let tmp: string;

beforeAll(async () => {
  await useBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'yonos-upscaler-unet-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('fromPretrained(pipeline folder, { subfolder: "unet" }) loads every tensor bit for bit', async () => {
  const model = await UNet2DConditionModel.fromPretrained(UPSCALER_DIR, { subfolder: 'unet' });
  const reader = await openSafetensorsFile(join(UNET_DIR, WEIGHTS));
  try {
    expect(model.classConditioning).toEqual({ kind: 'index', numClasses: 1000 });
    const ours = model.stateDict();
    expect([...ours.keys()].sort()).toEqual(reader.keys().sort());
    const differing: string[] = [];
    for (const key of reader.keys()) {
      const theirs = await reader.tensor(key);
      const [a, b] = [await ours.get(key)!.data(), await theirs.data()];
      if (a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]))) differing.push(key);
      theirs.dispose();
    }
    expect(differing).toEqual([]);
    tf.dispose([...ours.values()]);
  } finally {
    await reader.close();
    model.dispose();
  }
});

test('savePretrained writes the config and bytes diffusers wrote', async () => {
  const model = await UNet2DConditionModel.fromPretrained(UNET_DIR);
  const out = join(tmp, 'saved');
  await model.savePretrained(out);
  model.dispose();
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  expect(config).toEqual(JSON.parse(readFileSync(join(UNET_DIR, 'config.json'), 'utf8')));
  const saved = await openSafetensorsFile(join(out, WEIGHTS));
  const original = await openSafetensorsFile(join(UNET_DIR, WEIGHTS));
  try {
    expect(saved.keys().sort()).toEqual(original.keys().sort());
    for (const key of original.keys()) {
      expect([key, saved.info(key).shape]).toEqual([key, original.info(key).shape]);
      expect(Buffer.from((await saved.readRaw(key)).buffer).equals(Buffer.from((await original.readRaw(key)).buffer)), key).toBe(true);
    }
  } finally {
    await saved.close();
    await original.close();
  }
});

test.each([
  [{ num_class_embeds: 10 }, /num_class_embeds: the weights have 1000, config\.json says 10/],
  [{ num_class_embeds: null }, /num_class_embeds: the weights have 1000, config\.json says null/],
])('a config.json with %j is named in the ConfigMismatchError', async (change, pattern) => {
  const dir = join(tmp, `mismatch-${JSON.stringify(change).replace(/\W/g, '')}`);
  cpSync(UNET_DIR, dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, ...change }));
  const before = tf.memory().numTensors;
  const err = await UNet2DConditionModel.fromPretrained(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigMismatchError);
  expect((err as Error).message).toMatch(pattern);
  expect(tf.memory().numTensors).toBe(before);
});
