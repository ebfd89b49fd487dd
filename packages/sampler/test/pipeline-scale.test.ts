import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PretrainedError } from '@yonos/core';
import { DEFAULT_MODEL_SCALE, PipelineInputError, YonosPipeline, parseModelIndex } from '../src/index.js';
import type { YonosFromPretrainedOptions, YonosPipelineComponents } from '../src/index.js';
import { makeCodec, makeDenoiser, testImage } from './pipeline-standins.js';

// The upscaling factor has one name, `scale`, one default and one check; `scaleFactor` (its
// former name) is still read, so callers that pass it do not silently get the default.

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'yonos-pipeline-scale-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parts = (): YonosPipelineComponents => ({ vae: makeCodec(), unet: makeDenoiser() });

/** The components stay the caller's when the constructor refuses them. */
function refused(components: YonosPipelineComponents, message: string | typeof PipelineInputError): void {
  expect(() => new YonosPipeline(components)).toThrow(message);
  for (const model of [components.vae, components.unet]) (model as unknown as { dispose(): void }).dispose();
}

describe('YonosPipeline scale', () => {
  it('defaults to DEFAULT_MODEL_SCALE, here and in a model_index.json without scale_factor', () => {
    expect(DEFAULT_MODEL_SCALE).toBe(4);
    const pipe = new YonosPipeline(parts());
    expect(pipe.scale).toBe(DEFAULT_MODEL_SCALE);
    pipe.dispose();
    const index = { scheduler: ['@yonos/sampler', 'DDIMScheduler'], unet: ['x', 'U'], vae: ['x', 'V'] };
    expect(parseModelIndex(JSON.stringify(index), 'here').scale_factor).toBe(DEFAULT_MODEL_SCALE);
    expect(parseModelIndex(JSON.stringify({ ...index, scale_factor: 2 }), 'here').scale_factor).toBe(2);
  });

  it('reads the deprecated scaleFactor when scale is absent, and refuses the two disagreeing', async () => {
    const legacy = new YonosPipeline({ ...parts(), scaleFactor: 2 });
    expect([legacy.scale, legacy.scaleFactor]).toEqual([2, 2]);
    const lr = testImage(1, 8, 8);
    const out = await legacy.run(lr);
    expect(out.shape).toEqual([1, 16, 16, 3]);
    tf.dispose([lr, out]);

    const folder = join(dir, 'x2');
    await legacy.savePretrained(folder);
    const before = tf.memory().numTensors;
    const options: YonosFromPretrainedOptions = { scaleFactor: 3 };
    const loaded = await YonosPipeline.fromPretrained(folder, options);
    expect(loaded.scale).toBe(3);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Both names, same value: accepted; different values: which one was meant is unknown.
    const same = await YonosPipeline.fromPretrained(folder, { scale: 3, scaleFactor: 3 });
    expect(same.scale).toBe(3);
    same.dispose();
    await expect(YonosPipeline.fromPretrained(folder, { scale: 3, scaleFactor: 2 })).rejects.toThrow(
      'scale (3) and its deprecated name scaleFactor (2) differ: pass scale only.',
    );
    refused({ ...parts(), scale: 4, scaleFactor: 2 }, PipelineInputError);
    expect(tf.memory().numTensors).toBe(before);
    legacy.dispose();
  });

  it('checks a scale where it enters: constructor, run options, latentShape, tiling, model_index.json', async () => {
    for (const bad of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) refused({ ...parts(), scale: bad }, `scale must be a positive number, got ${String(bad)}.`);
    const pipe = new YonosPipeline({ ...parts(), scale: 2 });
    const lr = testImage(1, 8, 8);
    const before = tf.memory().numTensors;
    await expect(pipe.run(lr, { scale: 0 })).rejects.toThrow(PipelineInputError);
    await expect(pipe.upscale(lr, { scale: -1 })).rejects.toThrow('scale must be a positive number, got -1.');
    expect(() => pipe.latentShape(8, 8, { scale: 0 })).toThrow(PipelineInputError);
    expect(() => pipe.tiling(8, 8, { scale: Number.NaN })).toThrow(PipelineInputError);
    expect(tf.memory().numTensors).toBe(before);
    // The control: a valid run scale overrides the pipeline's.
    expect(pipe.latentShape(8, 8, { scale: 3 })).not.toEqual(pipe.latentShape(8, 8));
    const out = await pipe.run(lr, { scale: 3 });
    expect(out.shape).toEqual([1, 24, 24, 3]);
    tf.dispose([lr, out]);
    pipe.dispose();

    const folder = join(dir, 'bad-index');
    const saved = new YonosPipeline({ ...parts(), scale: 2 });
    await saved.savePretrained(folder);
    saved.dispose();
    const indexFile = join(folder, 'model_index.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(indexFile, JSON.stringify({ ...index, scale_factor: 0 }));
    await expect(YonosPipeline.fromPretrained(folder)).rejects.toThrow(PretrainedError);
    await expect(YonosPipeline.fromPretrained(folder)).rejects.toThrow('"scale_factor" must be a positive number, got 0.');
  });
});
