import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PretrainedError, createRng, serializeSafetensors, trackPeakBytesAsync, useBackend } from '@yonos/core';
import type { Denoiser, DenoiserForwardOptions, DenoiserMemory, DenoiserMemoryOptions, ProgressEvent, RawImage, SpatialShape } from '@yonos/core';
import { AutoencoderKL } from '@yonos/vae';
import { UNet2DConditionModel } from '@yonos/unet';
import {
  DDIMScheduler,
  DDPMScheduler,
  PipelineAbortedError,
  PipelineInputError,
  StableDiffusionUpscalePipeline,
  UpscaleMemoryError,
  YonosPipeline,
  readPromptEmbeddings,
} from '../src/index.js';
import type { PromptEmbeddings } from '../src/index.js';
import { UPSCALER_FIXTURE, loadUpscalerIo, maxAbsDiff, readUpscalerJson, toNhwc } from './helpers.js';
import { unetShapedMemory } from './standin-memory.js';
import { RecordingDenoiser } from './upscale-recorders.js';

let dir: string;
let pipe: StableDiffusionUpscalePipeline;
let embeddings: PromptEmbeddings;
let image: tf.Tensor4D;

beforeAll(async () => {
  await useBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'yonos-upscale-'));
  pipe = await StableDiffusionUpscalePipeline.fromPretrained(UPSCALER_FIXTURE);
  const io = loadUpscalerIo();
  embeddings = {
    promptEmbeds: tf.keep(io.get('prompt_embeds') as tf.Tensor3D),
    negativePromptEmbeds: tf.keep(io.get('negative_prompt_embeds') as tf.Tensor3D),
  };
  image = toNhwc(io.get('low_res_image')!) as tf.Tensor4D;
  io.delete('prompt_embeds');
  io.delete('negative_prompt_embeds');
  tf.dispose([...io.values()]);
});
afterAll(() => {
  pipe.dispose();
  tf.dispose([embeddings.promptEmbeds, embeddings.negativePromptEmbeds!, image]);
  rmSync(dir, { recursive: true, force: true });
});

async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** One quick run (1 step, no guidance unless asked) and its output read back. */
async function runValues(p: StableDiffusionUpscalePipeline, options: Parameters<StableDiffusionUpscalePipeline['run']>[1] = {}): Promise<Float32Array> {
  const out = await p.run(image, { promptEmbeddings: embeddings, steps: 1, guidanceScale: 1, seed: 1, ...options });
  const data = await values(out);
  out.dispose();
  return data;
}

describe('StableDiffusionUpscalePipeline.fromPretrained (diffusers folder)', () => {
  it('loads unet, vae, scheduler and low_res_scheduler, ignores the null text encoder and tokenizer, reads max_noise_level', () => {
    expect(pipe.unet).toBeInstanceOf(UNet2DConditionModel);
    expect(pipe.vae).toBeInstanceOf(AutoencoderKL);
    expect(pipe.scheduler).toBeInstanceOf(DDIMScheduler);
    expect(pipe.lowResScheduler).toBeInstanceOf(DDPMScheduler);
    expect((pipe.lowResScheduler as DDPMScheduler).toConfig()).toEqual(readUpscalerJson('low_res_scheduler/scheduler_config.json'));
    expect(pipe.maxNoiseLevel).toBe(350);
    expect(pipe.scaleFactor).toBe(4);
    expect(pipe.latentMultiple).toBe(8);
    expect(pipe.vae.scalingFactor).toBeCloseTo(0.08333, 8);
    expect(pipe.promptEmbeddings).toBeUndefined();
  });

  it('ignores a text encoder and tokenizer the folder names (not loaded: embeddings are given)', async () => {
    const folder = join(dir, 'with-text-encoder');
    cpSync(UPSCALER_FIXTURE, folder, { recursive: true });
    const index = JSON.parse(readFileSync(join(folder, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(folder, 'model_index.json'),
      JSON.stringify({ ...index, text_encoder: ['transformers', 'CLIPTextModel'], tokenizer: ['transformers', 'CLIPTokenizer'], max_noise_level: 250 }),
    );
    const before = tf.memory().numTensors;
    const other = await StableDiffusionUpscalePipeline.fromPretrained(folder);
    expect(other.maxNoiseLevel).toBe(250);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads through the URL loader from a local HTTP server (a .../resolve/main/ path), same output as the folder', async () => {
    const prefix = '/stabilityai/stable-diffusion-x4-upscaler-tiny/resolve/main/';
    const embeddingsFile = join(dir, 'served-embeds.safetensors');
    writeFileSync(embeddingsFile, await serializeSafetensors(new Map([['prompt_embeds', embeddings.promptEmbeds]]), { dtype: 'F32' }));
    const requested: string[] = [];
    const server = createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '/');
      requested.push(url);
      try {
        if (url === '/embeds/prompt.safetensors') return res.writeHead(200).end(readFileSync(embeddingsFile));
        if (!url.startsWith(prefix)) throw new Error('not served');
        const body = readFileSync(join(UPSCALER_FIXTURE, url.slice(prefix.length)));
        res.writeHead(200).end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const remote = await StableDiffusionUpscalePipeline.fromPretrained(`http://127.0.0.1:${port}${prefix}`, {
        promptEmbeddings: `http://127.0.0.1:${port}/embeds/prompt.safetensors`,
      });
      expect(remote.promptEmbeddings!.promptEmbeds.shape).toEqual([1, 7, 32]);
      expect(requested.some((u) => u.includes('text_encoder') || u.includes('tokenizer'))).toBe(false);
      const a = await runValues(pipe, { promptEmbeddings: { promptEmbeds: embeddings.promptEmbeds } });
      const b = await runValues(remote, { promptEmbeddings: undefined });
      expect(maxAbsDiff(a, b)).toBe(0);
      remote.dispose();
    } finally {
      server.close();
    }
  });

  it('refuses other pipeline classes, and YonosPipeline refuses an upscaler folder, saying which class to use', async () => {
    const folder = join(dir, 'yonos-class');
    cpSync(UPSCALER_FIXTURE, folder, { recursive: true });
    await expect(YonosPipeline.fromPretrained(folder)).rejects.toThrow(/StableDiffusionUpscalePipeline\.fromPretrained/);
    const index = JSON.parse(readFileSync(join(folder, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(folder, 'model_index.json'), JSON.stringify({ ...index, _class_name: 'StableDiffusionPipeline' }));
    await expect(StableDiffusionUpscalePipeline.fromPretrained(folder)).rejects.toThrow(PretrainedError);
    writeFileSync(join(folder, 'model_index.json'), JSON.stringify({ ...index, low_res_scheduler: [null, null] }));
    await expect(StableDiffusionUpscalePipeline.fromPretrained(folder)).rejects.toThrow(/"low_res_scheduler" must be \["library", "ClassName"\]/);
  });
});

describe('prompt embeddings', () => {
  it('reads a .safetensors file from a path, bytes or a Blob (float16 as float32), and says what is missing', async () => {
    const file = join(dir, 'embeds-f16.safetensors');
    writeFileSync(
      file,
      await serializeSafetensors(new Map([['prompt_embeds', embeddings.promptEmbeds], ['negative_prompt_embeds', embeddings.negativePromptEmbeds!]]), { dtype: 'F16' }),
    );
    const before = tf.memory().numTensors;
    for (const source of [file, readFileSync(file), new Blob([readFileSync(file)])]) {
      const read = await readPromptEmbeddings(source);
      expect(read.promptEmbeds.dtype).toBe('float32');
      expect(maxAbsDiff(await values(read.promptEmbeds), await values(embeddings.promptEmbeds))).toBeLessThan(2e-3);
      expect(read.negativePromptEmbeds!.shape).toEqual([1, 7, 32]);
      tf.dispose([read.promptEmbeds, read.negativePromptEmbeds!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const wrong = join(dir, 'embeds-wrong.safetensors');
    writeFileSync(wrong, await serializeSafetensors(new Map([['text_embeds', embeddings.promptEmbeds]]), { dtype: 'F32' }));
    await expect(readPromptEmbeddings(wrong)).rejects.toThrow(/no tensor "prompt_embeds"/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs from a file as from the tensors it holds', async () => {
    const file = join(dir, 'embeds.safetensors');
    writeFileSync(
      file,
      await serializeSafetensors(new Map([['prompt_embeds', embeddings.promptEmbeds], ['negative_prompt_embeds', embeddings.negativePromptEmbeds!]]), { dtype: 'F32' }),
    );
    const a = await runValues(pipe, { guidanceScale: 9 });
    const b = await runValues(pipe, { guidanceScale: 9, promptEmbeddings: file });
    expect(maxAbsDiff(a, b)).toBe(0);
  });
});

describe('StableDiffusionUpscalePipeline.run', () => {
  it('is reproducible from the seed; the low-res noise and the latents are independent streams of it', async () => {
    const a = await runValues(pipe, { seed: 3 });
    expect(maxAbsDiff(a, await runValues(pipe, { seed: 3 }))).toBe(0);
    expect(maxAbsDiff(a, await runValues(pipe, { seed: 4 }))).toBeGreaterThan(1e-3);
    // Giving the latents the seed would draw leaves the low-res noise as it was.
    const latents = tf.tidy(() => createRng(3).fork('latents').normal(pipe.latentShape(16, 16))) as tf.Tensor4D;
    expect(maxAbsDiff(a, await runValues(pipe, { seed: 3, latents }))).toBe(0);
    const lowResNoise = tf.tidy(() => createRng(3).fork('low-res-noise').normal(pipe.lowResNoiseShape(16, 16))) as tf.Tensor4D;
    expect(maxAbsDiff(a, await runValues(pipe, { seed: 99, latents, lowResNoise }))).toBe(0);
    tf.dispose([latents, lowResNoise]);
  });

  it('steps at the leading timesteps by default and at t = 999 with timestepSpacing "trailing" (one step from pure noise)', async () => {
    const recorder = new RecordingDenoiser(pipe.unet);
    const p = new StableDiffusionUpscalePipeline({ vae: pipe.vae, unet: recorder, scheduler: pipe.scheduler, lowResScheduler: pipe.lowResScheduler });
    const timesteps = async (options: Parameters<typeof runValues>[1]): Promise<unknown[]> => {
      await runValues(p, options);
      return (await recorder.collect()).map((c) => c.timestep);
    };
    expect(await timesteps({})).toEqual([1]);
    expect(await timesteps({ timestepSpacing: 'trailing' })).toEqual([999]);
    expect(await timesteps({ timestepSpacing: 'trailing', steps: 4 })).toEqual([999, 749, 499, 249]);
    expect(await timesteps({ steps: 4 })).toEqual([751, 501, 251, 1]);
    // The pipeline's own scheduler keeps its spacing.
    expect((pipe.scheduler as DDIMScheduler).config.timestep_spacing).toBe('leading');
    p.dispose({ components: false });
  });

  it('feeds the noise level as the class label, which changes the output', async () => {
    const recorder = new RecordingDenoiser(pipe.unet);
    const p = new StableDiffusionUpscalePipeline({ vae: pipe.vae, unet: recorder, lowResScheduler: pipe.lowResScheduler });
    const a = await runValues(p, { noiseLevel: 0, steps: 2 });
    const b = await runValues(p, { noiseLevel: 350, steps: 2 });
    const calls = await recorder.collect();
    expect(calls.map((c) => c.classLabels)).toEqual([0, 0, 350, 350]);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
    p.dispose({ components: false });
  });

  it('denoise() returns the final latents the run decodes (latents / scaling_factor, clamped), without leaks', async () => {
    const options = { promptEmbeddings: embeddings, steps: 2, guidanceScale: 9, seed: 5, tile: false } as const;
    const before = tf.memory().numTensors;
    const z0 = await pipe.denoise(image, options);
    expect(z0.shape).toEqual([1, 16, 16, 4]);
    expect(tf.memory().numTensors).toBe(before + 1);
    let seen: Float32Array | undefined;
    const out = await pipe.run(image, { ...options, onStepEnd: (e) => (seen = e.step === e.steps ? (e.latents.dataSync().slice() as Float32Array) : seen) });
    expect(maxAbsDiff(await values(z0), seen!)).toBe(0);
    const expected = tf.tidy(() => tf.clipByValue(pipe.vae.decode(tf.div(z0, pipe.vae.scalingFactor) as tf.Tensor4D), -1, 1));
    expect(maxAbsDiff(await values(out), await values(expected))).toBe(0);
    tf.dispose([z0, out, expected]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports progress per step and decode tile, and aborts between steps without leaks', async () => {
    const events: ProgressEvent[] = [];
    await runValues(pipe, { steps: 3, onProgress: (e) => events.push(e) });
    expect(events.map((e) => `${e.stage} ${e.completed}/${e.total}`)).toEqual(['denoise 1/3', 'denoise 2/3', 'denoise 3/3', 'decode 1/1']);
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const run = pipe.run(image, {
      promptEmbeddings: embeddings,
      steps: 3,
      onProgress: (e) => {
        if (e.stage === 'denoise' && e.completed === 1) controller.abort('stop');
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toThrow(PipelineAbortedError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad inputs with typed errors, before allocating anything', async () => {
    const before = tf.memory().numTensors;
    const bad = async (options: Parameters<typeof runValues>[1], message: RegExp, input: tf.Tensor4D = image): Promise<void> => {
      const run = pipe.run(input, { promptEmbeddings: embeddings, steps: 1, ...options });
      await expect(run).rejects.toThrow(PipelineInputError);
      await expect(run).rejects.toThrow(message);
    };
    await bad({ noiseLevel: 351 }, /noiseLevel must be an integer in \[0, 350\]/);
    await bad({ noiseLevel: 2.5 }, /noiseLevel/);
    await bad({ promptEmbeddings: { promptEmbeds: embeddings.promptEmbeds } }, /needs negativePromptEmbeds/);
    await bad({ promptEmbeddings: undefined }, /no prompt embeddings/);
    const wide = tf.zeros([1, 7, 16]) as tf.Tensor3D;
    await bad({ promptEmbeddings: { promptEmbeds: wide }, guidanceScale: 1 }, /cross_attention_dim is 32/);
    const latents = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    await bad({ latents }, /latents must be float32 \[1, 16, 16, 4\]/);
    await bad({ guidanceScale: Number.NaN }, /guidanceScale/);
    await bad({ steps: 0 }, /steps/);
    const bright = tf.fill([1, 8, 8, 3], 2) as tf.Tensor4D;
    await bad({}, /\[-1, 1\]/, bright);
    tf.dispose([wide, latents, bright]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pads sides that are not multiples of 8 and crops the output to 4x, without leaks', async () => {
    const small = tf.tidy(() => tf.slice(image, [0, 0, 0, 0], [1, 13, 10, 3])) as tf.Tensor4D;
    expect(pipe.latentShape(13, 10)).toEqual([1, 16, 16, 4]);
    const before = tf.memory().numTensors;
    const out = await pipe.run(small, { promptEmbeddings: embeddings, steps: 1 });
    expect(out.shape).toEqual([1, 52, 40, 3]);
    const data = await values(out);
    expect(data.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    small.dispose();
  });

  it('upscales RawImages to RawImages of 4 times the size (alpha kept)', async () => {
    const raw: RawImage = {
      data: Uint8Array.from({ length: 8 * 8 * 4 }, (_, i) => (i * 37) % 256),
      width: 8,
      height: 8,
      channels: 4,
      bitDepth: 8,
    } as RawImage;
    const before = tf.memory().numTensors;
    const out = await pipe.upscale(raw, { promptEmbeddings: embeddings, steps: 1 });
    expect([out.width, out.height, out.channels]).toEqual([32, 32, 4]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * A class-conditioned stand-in denoiser whose output at a pixel depends on that pixel only (a 1x1
 * map of the 7 input channels, plus the label, timestep and context), so that U-Net tiles
 * blend to exactly the untiled result: a check of the tiling plumbing, not of a model.
 */
class LocalDenoiser implements Denoiser {
  readonly inChannels = 7;
  readonly outChannels = 4;
  readonly crossAttentionDim = 32;
  readonly classConditioning = { kind: 'index', numClasses: 1000 } as const;
  readonly downsampleFactor = 8;
  readonly config = { block_out_channels: [4, 4, 4, 4] };
  readonly #weights = tf.keep(createRng(11).normal([7, 4], 0, 0.5));

  forward(sample: tf.Tensor4D, timestep: number | tf.Tensor1D, context?: tf.Tensor3D, options?: DenoiserForwardOptions): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, h, w] = sample.shape;
      const mixed = tf.reshape(tf.matMul(tf.reshape(sample, [n * h * w, 7]), this.#weights), [n, h, w, 4]);
      const shift = tf.reshape(tf.mean(context!, [1, 2]), [n, 1, 1, 1]);
      return tf.add(tf.add(mixed, shift), 1e-3 * (options!.classLabels as number) + 1e-4 * (timestep as number)) as tf.Tensor4D;
    });
  }

  estimateMemory(sample: SpatialShape, options: DenoiserMemoryOptions = {}): DenoiserMemory {
    return unetShapedMemory(sample, this.config.block_out_channels, options.contextLength ?? 77, options.backend);
  }

  dispose(): void {
    this.#weights.dispose();
  }
}

describe('StableDiffusionUpscalePipeline tiling', () => {
  it('U-Net tiles blend to the untiled result with a local denoiser (tile windows of latents and noised image aligned)', async () => {
    const unet = new LocalDenoiser();
    const p = new StableDiffusionUpscalePipeline({ vae: pipe.vae, unet, lowResScheduler: pipe.lowResScheduler });
    const untiled = await runValues(p, { steps: 2, guidanceScale: 9, tile: false });
    const tiling = p.tiling(16, 16, { tile: { latentTileSize: 8, vaeTileSize: 64 } });
    expect([tiling.latentTiles, tiling.vaeTiles]).toEqual([9, 1]);
    const events: ProgressEvent[] = [];
    const tiled = await runValues(p, { steps: 2, guidanceScale: 9, tile: { latentTileSize: 8, vaeTileSize: 64 }, onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.stage === 'denoise').length).toBe(2 * 9);
    const err = maxAbsDiff(tiled, untiled);
    console.info(`upscaler, 9 U-Net tiles vs untiled (local denoiser): max |diff| ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
    p.dispose({ components: false });
    unet.dispose();
  });

  it('tiles as large as the image change nothing; real tiles of the tiny U-Net and VAE stay finite and in range', async () => {
    const untiled = await runValues(pipe, { steps: 2, tile: false });
    expect(maxAbsDiff(untiled, await runValues(pipe, { steps: 2, tile: { latentTileSize: 16, vaeTileSize: 64 } }))).toBe(0);
    const tiled = await runValues(pipe, { steps: 2, tile: { latentTileSize: 8, vaeTileSize: 32 } });
    expect(tiled.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
    // They change the result: a tiny random 4-level U-Net on 8-pixel tiles is far from local.
    let sum = 0;
    for (let i = 0; i < tiled.length; i++) sum += Math.abs(tiled[i]! - untiled[i]!);
    console.info(`upscaler, tiled vs untiled (tiny fixture models): mean |diff| ${(sum / tiled.length).toExponential(2)}, max ${maxAbsDiff(tiled, untiled).toExponential(2)}`);
  });

  it('estimates more memory than a run takes, untiled and tiled (cpu), within 3 times', async () => {
    for (const [tile, guidanceScale] of [
      [false, 9],
      [{ latentTileSize: 8, vaeTileSize: 32 }, 9],
      [{ latentTileSize: 8, vaeTileSize: 32 }, 1],
    ] as const) {
      const estimate = pipe.tiling(16, 16, { tile, guidanceScale }).estimatedPeakBytes;
      const { result, peak } = await trackPeakBytesAsync(() => pipe.run(image, { promptEmbeddings: embeddings, steps: 1, guidanceScale, tile }));
      result.dispose();
      console.info(`upscaler memory, tile ${JSON.stringify(tile)}, guidance ${guidanceScale}: measured peak ${peak} B, estimate ${Math.round(estimate)} B`);
      expect(peak).toBeLessThanOrEqual(estimate);
      expect(estimate).toBeLessThan(3 * peak);
    }
  });

  it('chooses tiles from the memory budget, refuses a budget the smallest tiles cannot meet, rejects misaligned tile sizes', async () => {
    const whole = pipe.tiling(64, 64);
    expect([whole.latentTiles, whole.vaeTiles]).toEqual([1, 1]);
    const tight = pipe.tiling(64, 64, { tile: { memoryBudgetMB: (whole.estimatedPeakBytes / 2 ** 20) * 0.6 } });
    expect(tight.latentTiles * tight.vaeTiles).toBeGreaterThan(1);
    expect(tight.estimatedPeakBytes).toBeLessThanOrEqual(tight.memoryBudgetBytes);
    expect(() => pipe.tiling(64, 64, { tile: { latentTileSize: 12 } })).toThrow(/multiple of 8/);
    expect(() => pipe.tiling(64, 64, { tile: { vaeTileSize: 30 } })).toThrow(/multiple of 4/);
    const before = tf.memory().numTensors;
    const run = pipe.run(image, { promptEmbeddings: embeddings, steps: 1, tile: { memoryBudgetMB: 0.01 } });
    await expect(run).rejects.toThrow(UpscaleMemoryError);
    await expect(run).rejects.toThrow(/raise tile.memoryBudgetMB to at least/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('StableDiffusionUpscalePipeline.savePretrained', () => {
  it('writes a folder diffusers and fromPretrained read (diffusers class names, nulls, embeddings), reloading an identical pipeline', async () => {
    const withEmbeddings = new StableDiffusionUpscalePipeline({
      vae: pipe.vae,
      unet: pipe.unet,
      scheduler: pipe.scheduler,
      lowResScheduler: pipe.lowResScheduler,
      maxNoiseLevel: 300,
      promptEmbeddings: embeddings,
    });
    const folder = join(dir, 'saved');
    await withEmbeddings.savePretrained(folder);
    const index = JSON.parse(readFileSync(join(folder, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    expect(index).toMatchObject({
      _class_name: 'StableDiffusionUpscalePipeline',
      max_noise_level: 300,
      scheduler: ['diffusers', 'DDIMScheduler'],
      low_res_scheduler: ['diffusers', 'DDPMScheduler'],
      unet: ['diffusers', 'UNet2DConditionModel'],
      vae: ['diffusers', 'AutoencoderKL'],
      text_encoder: [null, null],
      tokenizer: [null, null],
      prompt_embeddings: 'prompt_embeds.safetensors',
    });
    expect(JSON.parse(readFileSync(join(folder, 'low_res_scheduler/scheduler_config.json'), 'utf8'))).toEqual(
      readUpscalerJson('low_res_scheduler/scheduler_config.json'),
    );
    const before = tf.memory().numTensors;
    const loaded = await StableDiffusionUpscalePipeline.fromPretrained(folder);
    expect(loaded.maxNoiseLevel).toBe(300);
    const a = await runValues(withEmbeddings, { promptEmbeddings: undefined, guidanceScale: 9 });
    const b = await runValues(loaded, { promptEmbeddings: undefined, guidanceScale: 9 });
    expect(maxAbsDiff(a, b)).toBe(0);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    withEmbeddings.dispose({ components: false });
    // The embeddings file reads back as written.
    const read = await readPromptEmbeddings(join(folder, 'prompt_embeds.safetensors'));
    expect(maxAbsDiff(await values(read.promptEmbeds), await values(embeddings.promptEmbeds))).toBe(0);
    tf.dispose([read.promptEmbeds, read.negativePromptEmbeds!]);
  });
});
