// The two pipelines share their pieces and name the same things the same way: the memory
// error, the tile-size errors, the upscaling factor, and the run queue.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineInputError, PipelineMemoryError, StableDiffusionUpscalePipeline, UpscaleMemoryError, YonosPipeline } from '../src/index.js';
import type { PromptEmbeddings } from '../src/index.js';
import { RunQueue } from '../src/pipeline/run-queue.js';
import { makeCodec, makeDenoiser, testImage } from './pipeline-standins.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** An upscaler of stand-ins: a 4x codec and a class-conditioned denoiser of 2 levels (latent multiple 2). */
function upscaler(): StableDiffusionUpscalePipeline {
  const unet = makeDenoiser({ in_channels: 7, block_out_channels: [8, 8] });
  Object.defineProperty(unet, 'classConditioning', { value: { kind: 'timestep' } });
  return new StableDiffusionUpscalePipeline({ vae: makeCodec(), unet });
}

describe('StableDiffusionUpscalePipeline mirrors YonosPipeline', () => {
  it('throws PipelineMemoryError for a budget no tiling meets, as YonosPipeline does, before allocating anything', async () => {
    const yonos = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const sd = upscaler();
    const embeddings: PromptEmbeddings = { promptEmbeds: tf.zeros([1, 4, 6]), negativePromptEmbeds: tf.zeros([1, 4, 6]) };
    const lr = testImage(1, 16, 16);
    const tile = { memoryBudgetMB: 0.01 };
    const before = tf.memory().numTensors;
    const fromYonos = await yonos.run(lr, { tile }).catch((e: unknown) => e);
    const fromSd = await sd.run(lr, { tile, promptEmbeddings: embeddings }).catch((e: unknown) => e);
    expect(tf.memory().numTensors).toBe(before);
    expect(fromYonos).toBeInstanceOf(PipelineMemoryError);
    expect(fromSd).toBeInstanceOf(PipelineMemoryError);
    expect(fromSd).toBeInstanceOf(UpscaleMemoryError); // the old name still catches it
    expect(fromSd).toBeInstanceOf(PipelineInputError);
    const e = fromSd as PipelineMemoryError<UpscaleMemoryError['tiling']>;
    expect(e.budgetMB).toBe(0.01);
    expect(e.requiredMB).toBe(Math.ceil(e.tiling.estimatedPeakBytes / 2 ** 20));
    // The same sentence but for the run's name, the stages and the numbers.
    const shape = (m: string): string => m.replace(/^this .*? needs/, 'this RUN needs').replace(/\(by stage, MiB: [^)]*\)/, '(STAGES)').replace(/\d+(\.\d+)?/g, 'N');
    expect(shape(e.message)).toBe(shape((fromYonos as Error).message));
    expect(e.message).toMatch(/^this upscale of a 16x16 latent needs an estimated \d+ MiB .*\(by stage, MiB: denoise \d+, decode \d+\)/);
    tf.dispose([lr, embeddings.promptEmbeds, embeddings.negativePromptEmbeds!]);
    yonos.dispose();
    sd.dispose();
  });

  it('refuses tile sizes with the same message, naming multiples that work', () => {
    const yonos = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() }); // latent multiple 2, VAE factor 4
    const sd = upscaler();
    for (const pipe of [yonos, sd]) {
      expect(() => pipe.tiling(16, 16, { tile: { latentTileSize: 3 } })).toThrow(
        'tile.latentTileSize must be a positive multiple of latentMultiple 2; got 3: pass a multiple of 2, e.g. 2 or 4.',
      );
      expect(() => pipe.tiling(16, 16, { tile: { vaeTileSize: 30 } })).toThrow('tile.vaeTileSize must be a positive multiple of the VAE factor 4; got 30: pass a multiple of 4, e.g. 28 or 32.');
    }
    expect(() => sd.tiling(16, 16, { tile: { latentTileSize: 4, vaeTileSize: 32 } })).not.toThrow(); // the control
    yonos.dispose();
    sd.dispose();
  });

  it("calls the upscaling factor scale (scaleFactor is the deprecated name of the same number)", () => {
    const sd = upscaler();
    expect(sd.scale).toBe(4);
    expect(sd.scaleFactor).toBe(sd.scale);
    sd.dispose();
  });
});

describe('RunQueue', () => {
  it('runs tasks one at a time in call order, and a failure does not stop the next', async () => {
    const queue = new RunQueue();
    const log: string[] = [];
    const task = (name: string, fail = false) => async (): Promise<string> => {
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.run(task('a')), queue.run(task('b', true)), queue.run(task('c'))]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
