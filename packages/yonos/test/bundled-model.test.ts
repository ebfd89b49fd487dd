import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NoDefaultModelError,
  ScaleNotBundledError,
  YonosPipeline,
  bundledModelDir,
  bundledModelProvider,
  bundledModelRoot,
  bundledScales,
  createRng,
  defaultModelProvider,
  registerBundledModel,
  registerDefaultModel,
  useBackend,
} from '../src/index.js';
import type { BundledModelProvider } from '../src/index.js';
import { copyPipeline, saveTinyPipeline } from './tiny-pipeline.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'yonos-bundled-'));
});

afterAll(async () => {
  registerBundledModel();
  await rm(tmp, { recursive: true, force: true });
});

async function touch(path: string, text = '{}'): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

describe('bundled model discovery', () => {
  it("is the package's model/ folder, from src/ as from dist/", () => {
    expect(bundledModelRoot()).toBe(join(PACKAGE_ROOT, 'model'));
    expect(bundledModelDir(8)).toBe(join(PACKAGE_ROOT, 'model', 'x8'));
    expect(bundledModelDir(4, '/somewhere/model')).toBe(join('/somewhere/model', 'x4'));
  });

  it('finds the x<N>/ folders that hold a model_index.json, ascending', async () => {
    const root = join(tmp, 'scan');
    await touch(join(root, 'x8', 'model_index.json'));
    await touch(join(root, 'x4', 'model_index.json'));
    await touch(join(root, 'x16', 'model_index.json'));
    await mkdir(join(root, 'x2')); // no index: not a model (yet)
    await touch(join(root, 'x04', 'model_index.json')); // not a scale name
    await touch(join(root, 'x8.bak', 'model_index.json'));
    await touch(join(root, 'y3', 'model_index.json'));
    await touch(join(root, 'x32')); // a file
    await touch(join(root, 'README.md'), '# card');
    expect(bundledScales(root)).toEqual([4, 8, 16]);
    expect(bundledScales(join(tmp, 'missing'))).toEqual([]);
    expect(bundledScales(join(root, 'README.md'))).toEqual([]);
  });

  it('provides <root>/x<N> for the scales it has, and nothing for the others', async () => {
    const root = join(tmp, 'provide');
    await touch(join(root, 'x4', 'model_index.json'));
    const provider = bundledModelProvider(root);
    expect(provider.root).toBe(root);
    expect(provider.defaultScale).toBe(4);
    expect(provider.description).toBe(`the model bundled with yonos, in ${root}`);
    expect(await provider.locate(4)).toBe(join(root, 'x4'));
    expect(await provider.locate(8)).toBeUndefined();
    expect(await provider.locate(4.5)).toBeUndefined();
    expect(await provider.scales()).toEqual([4]);
    // Looked up on each call: a model installed later is found.
    await touch(join(root, 'x8', 'model_index.json'));
    expect(await provider.locate(8)).toBe(join(root, 'x8'));
    expect(await provider.scales()).toEqual([4, 8]);
  });

  it("importing 'yonos' registers the package's bundle as the default model", () => {
    const provider = defaultModelProvider() as BundledModelProvider | undefined;
    expect(provider?.root).toBe(bundledModelRoot());
    registerDefaultModel(undefined);
    expect(defaultModelProvider()).toBeUndefined();
    registerBundledModel();
    expect((defaultModelProvider() as BundledModelProvider).root).toBe(bundledModelRoot());
  });
});

describe('YonosPipeline.fromPretrained() with the bundled model', () => {
  let root: string;

  beforeAll(async () => {
    await useBackend('wasm');
    root = join(tmp, 'bundle');
    await saveTinyPipeline(join(root, 'x4'), 4);
    // Same weights; latent_multiple tells which folder was loaded (scale is set by the option either way).
    copyPipeline(join(root, 'x4'), join(root, 'x8'), { scale_factor: 8, latent_multiple: 8 });
  });

  it('loads model/x4 without arguments and model/x8 for scale 8, like loading the folders, without leaks', async () => {
    registerBundledModel(root);
    const explicit = await YonosPipeline.fromPretrained(join(root, 'x4'));
    const lr = createRng(5).uniform([1, 8, 8, 3], -1, 1) as tf.Tensor4D;
    const reference = await explicit.run(lr, { seed: 2 });
    explicit.dispose();

    const before = tf.memory().numTensors;
    const x4 = await YonosPipeline.fromPretrained();
    expect([x4.scale, x4.latentMultiple]).toEqual([4, 4]);
    const out = await x4.run(lr, { seed: 2 });
    expect(out.shape).toEqual([1, 32, 32, 3]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(out, reference))).dataSync()[0]!);
    expect(diff).toBe(0);
    out.dispose();
    x4.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const x8 = await YonosPipeline.fromPretrained(undefined, { scale: 8 });
    expect([x8.scale, x8.latentMultiple]).toEqual([8, 8]);
    const big = await x8.run(lr, { seed: 2 });
    expect(big.shape).toEqual([1, 64, 64, 3]);
    big.dispose();
    x8.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([lr, reference]);
  });

  it('names the bundled scales when the requested one is missing, and what to do when nothing is registered', async () => {
    registerBundledModel(root);
    await expect(YonosPipeline.fromPretrained(undefined, { scale: 2 })).rejects.toThrow(ScaleNotBundledError);
    await expect(YonosPipeline.fromPretrained(undefined, { scale: 2 })).rejects.toThrow(
      `No bundled model for x2 (the model bundled with yonos, in ${root}): bundled scales are x4, x8. Pass { scale: 4 } or { scale: 8 }, ` +
        'or the location of a YonosPipeline folder trained for x2.',
    );
    registerBundledModel(join(tmp, 'empty'));
    await expect(YonosPipeline.fromPretrained()).rejects.toThrow(/^No bundled model for x4 \(the model bundled with yonos, in .*empty\): none is installed\./);
    registerDefaultModel(undefined);
    await expect(YonosPipeline.fromPretrained()).rejects.toThrow(NoDefaultModelError);
  });
});
