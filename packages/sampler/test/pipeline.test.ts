import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, fromRawImage, imresize } from '@yonos/core';
import type { Denoiser, LatentCodec, ProgressEvent, RawImage } from '@yonos/core';
import {
  DDIMScheduler,
  PipelineAbortedError,
  PipelineInputError,
  YONOS_SCHEDULER_CONFIG,
  YonosPipeline,
} from '../src/index.js';
import { ConvDenoiser, PatchCodec, makeCodec, makeDenoiser, maxDiff, testImage } from './pipeline-standins.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * The YONOS composition written out step by step, independently of the pipeline's code:
 * bicubic, mirror padding, encode mean, the DDIM loop on concat(z_t, z_lr), decode, crop, clamp.
 */
function reference(
  vae: LatentCodec,
  unet: Denoiser,
  lr: tf.Tensor4D,
  opts: { scale: number; steps: number; latents: tf.Tensor4D; multiple: number; residual?: boolean },
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w] = lr.shape;
    const outH = Math.ceil(h * opts.scale);
    const outW = Math.ceil(w * opts.scale);
    const unit = vae.downsampleFactor * opts.multiple;
    const padH = Math.ceil(outH / unit) * unit;
    const padW = Math.ceil(outW / unit) * unit;
    const up = tf.mirrorPad(imresize(lr, opts.scale), [[0, 0], [0, padH - outH], [0, padW - outW], [0, 0]], 'symmetric');
    const posterior = vae.encode(up);
    const zLr = tf.mul(tf.sub(posterior.mean, vae.shiftFactor), vae.scalingFactor);
    posterior.dispose();
    const scheduler = new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
    scheduler.setTimesteps(opts.steps);
    const context = unet.crossAttentionDim !== undefined ? tf.zeros([n, 1, unet.crossAttentionDim]) as tf.Tensor3D : undefined;
    let z: tf.Tensor = opts.latents;
    for (const t of scheduler.timesteps) {
      const v = unet.forward(tf.concat([z, zLr], 3) as tf.Tensor4D, t, context);
      z = scheduler.step(v, t, z).prevSample;
    }
    if (opts.residual === true) z = tf.add(z, zLr);
    const decoded = vae.decode(tf.add(tf.div(z, vae.scalingFactor), vae.shiftFactor) as tf.Tensor4D);
    return tf.clipByValue(tf.slice(decoded, [0, 0, 0, 0], [-1, outH, outW, -1]), -1, 1) as tf.Tensor4D;
  });
}

describe('YonosPipeline composition', () => {
  it('equals the composition computed step by step, for 1 and 4 steps, without leaks', async () => {
    const vae = makeCodec({ mode: 'conv' });
    const unet = makeDenoiser();
    const pipe = new YonosPipeline({ vae, unet });
    const lr = testImage(2, 9, 11);
    for (const steps of [1, 4]) {
      const shape = pipe.latentShape(9, 11, { batch: 2 });
      expect(shape).toEqual([2, 10, 12, 4]); // 36x44 padded to 40x48, f = 4
      const latents = createRng(steps).normal(shape) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const out = await pipe.run(lr, { steps, latents });
      expect(tf.memory().numTensors).toBe(before + 1);
      const expected = reference(vae, unet, lr, { scale: 4, steps, latents, multiple: 2 });
      expect(out.shape).toEqual([2, 36, 44, 3]);
      const err = await maxDiff(out, expected);
      console.info(`pipeline vs step-by-step composition, ${steps} step(s): max |diff| ${err}`);
      expect(err).toBeLessThanOrEqual(1e-6);
      // The output is not trivially constant: the test can fail.
      const spread = tf.tidy(() => tf.sub(tf.max(out), tf.min(out)).dataSync()[0]!);
      expect(spread).toBeGreaterThan(0.1);
      tf.dispose([out, expected, latents]);
    }
    lr.dispose();
    pipe.dispose();
  });

  it('residual: the denoised latent is a residual on z_lr, as computed step by step (1 and 3 steps)', async () => {
    const vae = makeCodec({ mode: 'conv' });
    const unet = makeDenoiser();
    const pipe = new YonosPipeline({ vae, unet, residual: true });
    const plain = new YonosPipeline({ vae, unet });
    expect(pipe.residual).toBe(true);
    expect(plain.residual).toBe(false);
    const lr = testImage(1, 8, 10);
    for (const steps of [1, 3]) {
      const latents = createRng(steps).normal(pipe.latentShape(8, 10)) as tf.Tensor4D;
      const out = await pipe.run(lr, { steps, latents });
      const other = await plain.run(lr, { steps, latents });
      const expected = reference(vae, unet, lr, { scale: 4, steps, latents, multiple: 2, residual: true });
      const err = await maxDiff(out, expected);
      const apart = await maxDiff(out, other);
      console.info(`residual pipeline vs step-by-step, ${steps} step(s): max |diff| ${err}; vs the non-residual pipeline ${apart.toFixed(3)}`);
      expect(err).toBeLessThanOrEqual(1e-6);
      expect(apart).toBeGreaterThan(0.05);
      tf.dispose([out, other, expected, latents]);
    }
    lr.dispose();
    plain.dispose({ components: false });
    pipe.dispose();
  });

  it('defaults to one DDIM step at t = 999 with v-prediction, and visits the trailing timesteps', async () => {
    const unet = makeDenoiser();
    const pipe = new YonosPipeline({ vae: makeCodec(), unet });
    expect(pipe.scheduler.predictionType).toBe('v_prediction');
    const lr = testImage(1, 8, 8);
    tf.dispose(await pipe.run(lr));
    expect(unet.calls.map((c) => c.timestep)).toEqual([999]);
    unet.calls.length = 0;
    tf.dispose(await pipe.run(lr, { steps: 4 }));
    expect(unet.calls.map((c) => c.timestep)).toEqual([999, 749, 499, 249]);
    unet.calls.length = 0;
    tf.dispose(await pipe.run(lr, { steps: 200 }));
    expect(unet.calls).toHaveLength(200);
    expect(unet.calls[0]!.shape).toEqual([1, 8, 8, 8]); // concat(z_t, z_lr): 4 + 4 channels
    lr.dispose();
    pipe.dispose();
  });

  it('reproduces an output from its seed, and another seed changes it', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const lr = testImage(1, 8, 8);
    const a = await pipe.run(lr, { seed: 7 });
    const b = await pipe.run(lr, { seed: 7 });
    const c = await pipe.run(lr, { seed: 8 });
    const fromNoise = createRng(7).normal(pipe.latentShape(8, 8)) as tf.Tensor4D;
    const d = await pipe.run(lr, { latents: fromNoise });
    expect(await maxDiff(a, b)).toBe(0);
    expect(await maxDiff(a, d)).toBe(0); // the seed's noise is exactly createRng(seed).normal(latentShape)
    expect(await maxDiff(a, c)).toBeGreaterThan(1e-3);
    tf.dispose([a, b, c, d, fromNoise, lr]);
    pipe.dispose();
  });

  it('passes a zero null context [N, 1, D] to cross-attention denoisers, a custom one when given, none otherwise', async () => {
    const unet = makeDenoiser({ cross_attention_dim: 6 });
    const pipe = new YonosPipeline({ vae: makeCodec(), unet });
    const lr = testImage(2, 8, 8);
    tf.dispose(await pipe.run(lr));
    expect(unet.calls[0]!.context).toEqual([2, 1, 6]);
    expect(unet.calls[0]!.contextValues!.every((v) => v === 0)).toBe(true);

    const learned = tf.tidy(() => tf.reshape(tf.range(0, 12, 1, 'float32'), [1, 2, 6]) as tf.Tensor3D);
    const withContext = new YonosPipeline({ vae: makeCodec(), unet, context: learned });
    unet.calls.length = 0;
    tf.dispose(await withContext.run(lr));
    expect(unet.calls[0]!.context).toEqual([2, 2, 6]);
    expect(unet.calls[0]!.contextValues!.slice(0, 12)).toEqual(Array.from(learned.dataSync()));

    const plain = makeDenoiser({ cross_attention_dim: null });
    const noContext = new YonosPipeline({ vae: makeCodec(), unet: plain });
    tf.dispose(await noContext.run(lr));
    expect(plain.calls[0]!.context).toBeUndefined();
    expect(() => new YonosPipeline({ vae: makeCodec(), unet: plain, context: learned })).toThrow(PipelineInputError);
    expect(() => new YonosPipeline({ vae: makeCodec(), unet, context: tf.zeros([1, 2, 5]) as tf.Tensor3D })).toThrow(/\[1 or 1, L, 6\]/);
    tf.dispose([lr, learned]);
    withContext.dispose({ components: false });
    pipe.dispose();
    noContext.dispose();
  });

  it('rejects components that do not fit and bad inputs, with messages that say what to pass', async () => {
    expect(() => new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser({ in_channels: 6 }) })).toThrow(/concat\(z_t, z_lr\) = 8 channels/);
    expect(() => new YonosPipeline({ vae: {} as LatentCodec, unet: makeDenoiser() })).toThrow(/is not a LatentCodec: it lacks encode/);
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const lr = testImage(1, 8, 8);
    const gray = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    const wrong = tf.zeros([1, 4, 4, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    await expect(pipe.run(gray)).rejects.toThrow(/\[N, H, W, 3\]/);
    await expect(pipe.run(lr, { latents: wrong })).rejects.toThrow(/latents must have shape \[1, 8, 8, 4\]/);
    await expect(pipe.run(lr, { steps: 0 })).rejects.toThrow(PipelineInputError);
    await expect(pipe.run(lr, { tile: { latentTileSize: 3 } })).rejects.toThrow(/multiple of latentMultiple 2/);
    await expect(pipe.run(lr, { tile: { vaeTileSize: 6 } })).rejects.toThrow(/multiple of the VAE factor 4/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([lr, gray, wrong]);
    pipe.dispose();
  });

  it('rejects pixel values outside [-1, 1], NaN and empty images, naming the range found', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const lr = testImage(1, 8, 8);
    // 0-255 pixels, as a user who skipped the conversion passes them: these used to come out white.
    const bytes = tf.tidy(() => tf.round(tf.mul(tf.add(lr, 1), 127.5))) as tf.Tensor4D;
    const [lo, hi] = [tf.min(bytes).dataSync()[0]!, tf.max(bytes).dataSync()[0]!];
    const nan = tf.tidy(() => tf.where(tf.greater(lr, 0.5), tf.fill(lr.shape, NaN), lr)) as tf.Tensor4D;
    const below = tf.fill([1, 8, 8, 3], -1.5) as tf.Tensor4D;
    const empty = tf.zeros([1, 0, 8, 3]) as tf.Tensor4D;
    // A conversion's rounding just past 1 is accepted.
    const rounded = tf.tidy(() => tf.mul(tf.ones([1, 8, 8, 3]), 1 + 2e-7)) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const error = (await pipe.run(bytes).catch((e: unknown) => e)) as PipelineInputError;
    expect(error).toBeInstanceOf(PipelineInputError);
    expect(error.message).toContain(`YonosPipeline.run expects pixel values in [-1, 1] (-1 black, 1 white), but they range from ${lo} to ${hi}.`);
    expect(error.message).toContain('x / 127.5 - 1');
    await expect(pipe.upscale(bytes)).rejects.toThrow(`range from ${lo} to ${hi}`);
    await expect(pipe.run(below)).rejects.toThrow('range from -1.5 to -1.5.');
    await expect(pipe.run(nan)).rejects.toThrow(/\d+ value\(s\) are NaN or infinite/);
    await expect(pipe.run(empty)).rejects.toThrow(/empty image \[1, 0, 8, 3\]/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(await pipe.run(rounded));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([lr, bytes, nan, below, empty, rounded]);
    pipe.dispose();
  });
});

describe('YonosPipeline.upscale', () => {
  const pipe = () => new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser(), scale: 2 });

  it('keeps gray gray and re-attaches alpha upscaled with the same bicubic (tensors)', async () => {
    const p = pipe();
    // A hard-edged mask in [-1, 1] as the alpha channel: bicubic overshoots it, so clamping matters.
    const rgba = tf.tidy(() => {
      const mask = tf.sign(tf.slice(testImage(1, 8, 8, 9), [0, 0, 0, 0], [-1, -1, -1, 1]));
      return tf.concat([testImage(1, 8, 8), mask], 3) as tf.Tensor4D;
    });
    const before = tf.memory().numTensors;
    const out = await p.upscale(rgba, { seed: 3 });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(out.shape).toEqual([1, 16, 16, 4]);
    const expectedAlpha = tf.tidy(() => tf.clipByValue(imresize(tf.slice(rgba, [0, 0, 0, 3], [-1, -1, -1, 1]) as tf.Tensor4D, 2), -1, 1));
    const alpha = tf.slice(out, [0, 0, 0, 3], [-1, -1, -1, 1]);
    expect(await maxDiff(alpha, expectedAlpha)).toBeLessThanOrEqual(1e-6);
    const rgbIn = tf.slice(rgba, [0, 0, 0, 0], [-1, -1, -1, 3]) as tf.Tensor4D;
    const rgb = await p.run(rgbIn, { seed: 3 });
    const rgbOut = tf.slice(out, [0, 0, 0, 0], [-1, -1, -1, 3]);
    expect(await maxDiff(rgbOut, rgb)).toBe(0);
    const overshoot = tf.tidy(() => tf.max(tf.abs(imresize(tf.slice(rgba, [0, 0, 0, 3], [-1, -1, -1, 1]) as tf.Tensor4D, 2))).dataSync()[0]!);
    expect(overshoot).toBeGreaterThan(1); // so the clamp is exercised

    const gray = tf.tidy(() => tf.slice(testImage(1, 8, 8), [0, 0, 0, 0], [-1, -1, -1, 1]) as tf.Tensor4D);
    const grayOut = await p.upscale(gray);
    expect(grayOut.shape).toEqual([1, 16, 16, 1]);
    const grayIn = tf.tile(gray, [1, 1, 1, 3]) as tf.Tensor4D;
    const grayRgb = await p.run(grayIn);
    const luma = tf.tidy(() => tf.sum(tf.mul(grayRgb, tf.tensor1d([0.299, 0.587, 0.114])), 3, true));
    expect(await maxDiff(grayOut, luma)).toBeLessThanOrEqual(1e-6);
    tf.dispose([rgba, out, expectedAlpha, alpha, rgbIn, rgb, rgbOut, gray, grayIn, grayOut, grayRgb, luma]);
    p.dispose();
  });

  it('returns a RawImage for a RawImage: gray + alpha in, gray + alpha out, same bit depth, no leaks', async () => {
    const p = pipe();
    const w = 6;
    const h = 5;
    const data = new Uint16Array(w * h * 2);
    for (let i = 0; i < w * h; i++) {
      data[2 * i] = (i * 2029) % 65536;
      data[2 * i + 1] = i % 3 === 0 ? 0 : 65535;
    }
    const raw: RawImage = { data, width: w, height: h, channels: 2, bitDepth: 16 };
    const before = tf.memory().numTensors;
    const out = await p.upscale(raw);
    expect(tf.memory().numTensors).toBe(before);
    expect(out).toMatchObject({ width: 12, height: 10, channels: 2, bitDepth: 16 });
    expect(out.data).toBeInstanceOf(Uint16Array);
    const model = fromRawImage(raw);
    const alpha = tf.tidy(() => tf.clipByValue(imresize(model.alpha!, 2), 0, 1));
    const alphaValues = await alpha.data();
    for (let i = 0; i < 12 * 10; i++) expect(out.data[2 * i + 1]).toBe(Math.round(alphaValues[i]! * 65535));
    tf.dispose([model.rgb, model.alpha!, alpha]);
    p.dispose();
  });

  it('returns a ModelImage for a ModelImage, gray replicated and alpha in [0, 1]', async () => {
    const p = pipe();
    const raw: RawImage = { data: Uint8Array.from({ length: 4 * 4 * 2 }, (_, i) => (i * 37) % 256), width: 4, height: 4, channels: 2, bitDepth: 8 };
    const model = fromRawImage(raw);
    const out = await p.upscale(model, { scale: 3 });
    expect(out.wasGray).toBe(true);
    expect(out.bitDepth).toBe(8);
    expect(out.rgb.shape).toEqual([1, 12, 12, 3]);
    expect(out.alpha!.shape).toEqual([1, 12, 12, 1]);
    const [r, g, b] = tf.split(out.rgb, 3, 3);
    expect(await maxDiff(r!, g!)).toBe(0);
    expect(await maxDiff(r!, b!)).toBe(0);
    const a = await out.alpha!.data();
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    tf.dispose([model.rgb, model.alpha!, out.rgb, out.alpha!, r!, g!, b!]);
    p.dispose();
  });
});

describe('YonosPipeline progress and cancellation', () => {
  it('reports every encode tile, denoise step x tile and decode tile', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const lr = testImage(1, 16, 16);
    const events: ProgressEvent[] = [];
    const tile = { vaeTileSize: 32, latentTileSize: 8 };
    const tiling = pipe.tiling(16, 16, { tile });
    // 64 px image, 32 px VAE tiles, stride 24: 3 x 3; 16 latent px, 8 px U-Net tiles, stride 6: 3 x 3.
    expect(tiling).toMatchObject({ latentHeight: 16, latentWidth: 16, vaeTiles: 9, latentTiles: 9 });
    tf.dispose(await pipe.run(lr, { steps: 3, tile, onProgress: (e) => events.push(e) }));
    const stages = (s: string) => events.filter((e) => e.stage === s);
    expect(stages('encode').map((e) => e.completed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stages('decode').map((e) => `${e.completed}/${e.total}`)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `${i}/9`));
    const denoise = stages('denoise');
    expect(denoise).toHaveLength(27);
    expect(denoise.at(-1)).toMatchObject({ completed: 27, total: 27, detail: { step: 3, steps: 3, tile: 9, tiles: 9, timestep: 332 } });
    expect(events.map((e) => e.stage).join(',')).toMatch(/^(encode,){9}(denoise,){27}decode(,decode){8}$/);
    lr.dispose();
    pipe.dispose();
  });

  it('stops at the next tile when aborted, frees everything, and the pipeline keeps working', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const lr = testImage(1, 16, 16);
    for (const abortAt of ['encode', 'denoise', 'decode']) {
      const controller = new AbortController();
      const before = tf.memory().numTensors;
      const run = pipe.run(lr, {
        steps: 2,
        tile: { vaeTileSize: 32, latentTileSize: 8 },
        signal: controller.signal,
        onProgress: (e) => {
          if (e.stage === abortAt && e.completed === 2) controller.abort(new Error(`stop in ${abortAt}`));
        },
      });
      const err = await run.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PipelineAbortedError);
      expect((err as Error).cause).toEqual(new Error(`stop in ${abortAt}`));
      expect(tf.memory().numTensors).toBe(before);
    }
    const controller = new AbortController();
    controller.abort();
    await expect(pipe.run(lr, { signal: controller.signal })).rejects.toThrow(PipelineAbortedError);
    const ok = await pipe.run(lr);
    expect(ok.shape).toEqual([1, 64, 64, 3]);
    tf.dispose([ok, lr]);
    pipe.dispose();
  });

  it('serializes concurrent runs so each sees its own timesteps', async () => {
    const unet = makeDenoiser();
    const pipe = new YonosPipeline({ vae: makeCodec(), unet });
    const lr = testImage(1, 8, 8);
    const [a, b] = await Promise.all([pipe.run(lr, { steps: 2 }), pipe.run(lr, { steps: 3 })]);
    // diffusers' trailing spacing: round(arange(1000, 0, -1000 / n)) - 1.
    expect(unet.calls.map((c) => c.timestep)).toEqual([999, 499, 999, 666, 332]);
    tf.dispose([a, b, lr]);
    pipe.dispose();
  });
});

describe('stand-ins', () => {
  it('are what the tests assume (the codec is purely local in local mode)', () => {
    const vae = makeCodec();
    expect(vae).toBeInstanceOf(PatchCodec);
    expect(makeDenoiser()).toBeInstanceOf(ConvDenoiser);
    vae.dispose();
  });
});
