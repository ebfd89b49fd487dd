import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { YonosError } from '@yonos/core';
import type { ModelLocation } from '@yonos/core';
import {
  DefaultModelError,
  NoDefaultModelError,
  PipelineInputError,
  ScaleNotBundledError,
  YonosPipeline,
  defaultModelProvider,
  registerDefaultModel,
  resolveDefaultModel,
} from '../src/index.js';
import type { DefaultModelProvider } from '../src/index.js';
import { makeCodec, makeDenoiser, maxDiff, testImage } from './pipeline-standins.js';

let dir: string;
/** Folders of the stand-in "bundled" models, by scale: x2 and x4, with different U-Net weights. */
const folders = new Map<number, string>();

/** A provider over `folders` that records the scales it was asked for. */
function folderProvider(options: { defaultScale?: number; asUrl?: boolean } = {}): DefaultModelProvider & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    description: `test models in ${dir}`,
    ...(options.defaultScale !== undefined ? { defaultScale: options.defaultScale } : {}),
    locate(scale: number): ModelLocation | undefined {
      asked.push(scale);
      const folder = folders.get(scale);
      if (folder === undefined) return undefined;
      return options.asUrl === true ? pathToFileURL(`${folder}/`) : folder;
    },
    // Unsorted on purpose: the error lists them ascending.
    scales: async () => [...folders.keys()].reverse(),
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'yonos-default-model-'));
  for (const [scale, seed] of [[2, 20], [4, 40]] as const) {
    const pipe = new YonosPipeline({ vae: makeCodec({ mode: 'conv' }), unet: makeDenoiser({}, seed), scale });
    const folder = join(dir, `x${scale}`);
    await pipe.savePretrained(folder);
    pipe.dispose();
    folders.set(scale, folder);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  registerDefaultModel(undefined);
});

/** The output of `pipe` for a fixed 8x8 image at scale 4, seed 3. */
async function output(pipe: YonosPipeline): Promise<tf.Tensor4D> {
  const lr = testImage(1, 8, 8);
  try {
    return await pipe.run(lr, { scale: 4, seed: 3 });
  } finally {
    lr.dispose();
  }
}

describe('registerDefaultModel', () => {
  it('replaces the provider and returns the one before it', () => {
    expect(defaultModelProvider()).toBeUndefined();
    const a = folderProvider();
    const b = folderProvider();
    expect(registerDefaultModel(a)).toBeUndefined();
    expect(defaultModelProvider()).toBe(a);
    expect(registerDefaultModel(b)).toBe(a);
    expect(registerDefaultModel(undefined)).toBe(b);
    expect(defaultModelProvider()).toBeUndefined();
  });
});

describe('YonosPipeline.fromPretrained() without a location', () => {
  it('says how to get a default model when none is registered', async () => {
    const failure = YonosPipeline.fromPretrained();
    await expect(failure).rejects.toThrow(NoDefaultModelError);
    await expect(failure).rejects.toThrow(/^No default model is registered.*: import 'yonos' \(which bundles one and registers it\), call registerDefaultModel\(provider\), or pass the location/);
    await expect(resolveDefaultModel(4)).rejects.toBeInstanceOf(DefaultModelError);
  });

  it("loads the provider's x4 folder by default: the same pipeline as loading that folder, without leaks", async () => {
    const provider = folderProvider();
    registerDefaultModel(provider);
    const explicitX4 = await YonosPipeline.fromPretrained(folders.get(4)!);
    const explicitX2 = await YonosPipeline.fromPretrained(folders.get(2)!);
    const reference = await output(explicitX4);
    const other = await output(explicitX2);

    const before = tf.memory().numTensors;
    const pipe = await YonosPipeline.fromPretrained();
    expect(provider.asked).toEqual([4]);
    expect(pipe.scale).toBe(4);
    const out = await output(pipe);
    expect(out.shape).toEqual([1, 32, 32, 3]);
    expect(await maxDiff(out, reference)).toBe(0);
    // The check can fail: the x2 folder's U-Net gives another result.
    expect(await maxDiff(out, other)).toBeGreaterThan(1e-3);
    out.dispose();
    pipe.dispose();
    expect(tf.memory().numTensors).toBe(before);

    tf.dispose([reference, other]);
    explicitX4.dispose();
    explicitX2.dispose();
  });

  it('picks the scale from options.scale, else the provider default; file: URLs work in Node', async () => {
    const provider = folderProvider({ asUrl: true });
    registerDefaultModel(provider);
    const x2 = await YonosPipeline.fromPretrained(undefined, { scale: 2 });
    expect(x2.scale).toBe(2);
    const explicit = await YonosPipeline.fromPretrained(folders.get(2)!);
    const [a, b] = [await output(x2), await output(explicit)];
    expect(await maxDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
    x2.dispose();
    explicit.dispose();

    const defaultTwo = folderProvider({ defaultScale: 2 });
    registerDefaultModel(defaultTwo);
    const pipe = await YonosPipeline.fromPretrained();
    expect(defaultTwo.asked).toEqual([2]);
    expect(pipe.scale).toBe(2);
    pipe.dispose();
    expect(await resolveDefaultModel()).toEqual({ location: folders.get(2), scale: 2 });
    expect(provider.asked).toEqual([2]);
  });

  it('lists the scales it has when the requested one is missing, and leaks nothing', async () => {
    registerDefaultModel(folderProvider());
    const before = tf.memory().numTensors;
    const failure = YonosPipeline.fromPretrained(undefined, { scale: 8 });
    await expect(failure).rejects.toThrow(ScaleNotBundledError);
    await expect(failure).rejects.toThrow(
      `No bundled model for x8 (test models in ${dir}): bundled scales are x2, x4. Pass { scale: 2 } or { scale: 4 }, ` +
        'or the location of a YonosPipeline folder trained for x8.',
    );
    const error = (await failure.catch((e: unknown) => e)) as ScaleNotBundledError;
    expect(error).toBeInstanceOf(DefaultModelError);
    expect(error).toBeInstanceOf(YonosError);
    expect(error.name).toBe('ScaleNotBundledError');
    expect([error.scale, error.available]).toEqual([8, [2, 4]]);
    expect(tf.memory().numTensors).toBe(before);

    registerDefaultModel({ description: 'nothing here', locate: () => undefined, scales: () => [] });
    await expect(YonosPipeline.fromPretrained()).rejects.toThrow(
      'No bundled model for x4 (nothing here): none is installed. Pass the location of a YonosPipeline folder trained for x4.',
    );
    await expect(YonosPipeline.fromPretrained(undefined, { scale: 0 })).rejects.toThrow(PipelineInputError);
  });

  it('leaves an explicit location alone: the provider is not asked', async () => {
    const provider = folderProvider();
    registerDefaultModel(provider);
    const pipe = await YonosPipeline.fromPretrained(folders.get(2)!, { scale: 3 });
    expect(pipe.scale).toBe(3);
    expect(provider.asked).toEqual([]);
    pipe.dispose();
  });
});
