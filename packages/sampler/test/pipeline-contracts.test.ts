import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@yonos/core';
import type { NoiseScheduler } from '@yonos/core';
import { DDIMScheduler, PipelineInputError, StableDiffusionUpscalePipeline, YONOS_SCHEDULER_CONFIG, YonosPipeline } from '../src/index.js';
import { makeCodec, makeDenoiser, maxDiff, testImage } from './pipeline-standins.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A DDIM scheduler that reports another initial noise scale (its steps are DDIM's). */
function withSigma(sigma: number): NoiseScheduler {
  const scheduler = new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
  Object.defineProperty(scheduler, 'initNoiseSigma', { value: sigma });
  return scheduler;
}

describe('the pipelines rely on the contracts, not on diffusers configs', () => {
  it("takes the latent multiple from the denoiser's downsampleFactor, never from its config", () => {
    const unet = makeDenoiser({ block_out_channels: [8, 8, 8] });
    expect(unet.downsampleFactor).toBe(4);
    expect(new YonosPipeline({ vae: makeCodec(), unet }).latentMultiple).toBe(4);
    // The config says 4 levels, the contract says 2: the contract wins.
    Object.defineProperty(unet, 'downsampleFactor', { value: 2 });
    expect(new YonosPipeline({ vae: makeCodec(), unet }).latentMultiple).toBe(2);
    // Without the member the denoiser is refused, whatever its config says (it is not read).
    Object.defineProperty(unet, 'downsampleFactor', { value: undefined });
    expect(() => new YonosPipeline({ vae: makeCodec(), unet })).toThrow(/is not a Denoiser: it lacks downsampleFactor/);
    unet.dispose();
  });

  it('refuses components without the members the pipelines read (memory estimates, initNoiseSigma), naming them', () => {
    const without = <T extends object>(model: T, key: string): T =>
      new Proxy(model, { get: (target, k) => (k === key ? undefined : Reflect.get(target, k, target)) });
    const vae = makeCodec();
    const unet = makeDenoiser();
    const upscalerUnet = makeDenoiser({ in_channels: 7 });
    Object.defineProperty(upscalerUnet, 'classConditioning', { value: { kind: 'timestep' } });
    const scheduler = new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
    // The control: the same objects with every member pass.
    expect(() => new YonosPipeline({ vae, unet, scheduler })).not.toThrow();
    expect(() => new YonosPipeline({ vae: without(vae, 'estimateMemory'), unet })).toThrow(/vae \(PatchCodec\) is not a LatentCodec: it lacks estimateMemory\./);
    expect(() => new YonosPipeline({ vae, unet: without(unet, 'estimateMemory') })).toThrow(/unet \(ConvDenoiser\) is not a Denoiser: it lacks estimateMemory\./);
    expect(() => new YonosPipeline({ vae, unet, scheduler: without(scheduler, 'initNoiseSigma') })).toThrow(/is not a NoiseScheduler: it lacks initNoiseSigma\./);
    expect(() => new StableDiffusionUpscalePipeline({ vae, unet: without(upscalerUnet, 'estimateMemory') })).toThrow(PipelineInputError);
    expect(() => new StableDiffusionUpscalePipeline({ vae, unet: upscalerUnet, scheduler: without(scheduler, 'initNoiseSigma') })).toThrow(
      /scheduler \(DDIMScheduler\) is not a NoiseScheduler: it lacks initNoiseSigma\./,
    );
    vae.dispose();
    unet.dispose();
    upscalerUnet.dispose();
  });

  it('scales seeded z_T by the scheduler\'s initNoiseSigma (YonosPipeline), as given latents of that scale', async () => {
    const vae = makeCodec();
    const unet = makeDenoiser();
    const lr = testImage(1, 6, 5);
    const twice = new YonosPipeline({ vae, unet, scheduler: withSigma(2) });
    const once = new YonosPipeline({ vae, unet, scheduler: withSigma(1) });
    const before = tf.memory().numTensors;
    const latents = tf.tidy(() => tf.mul(createRng(3).normal(once.latentShape(6, 5)), 2) as tf.Tensor4D);
    const seeded = await twice.run(lr, { seed: 3 });
    const given = await once.run(lr, { latents });
    const unscaled = await once.run(lr, { seed: 3 });
    expect(await maxDiff(seeded, given)).toBe(0);
    expect(await maxDiff(seeded, unscaled)).toBeGreaterThan(1e-3); // the control: sigma matters
    tf.dispose([latents, seeded, given, unscaled]);
    expect(tf.memory().numTensors).toBe(before);
    lr.dispose();
    twice.dispose({ components: false });
    once.dispose();
  });

  it("counts DDIM's step copies from the scheduler (6 with clip_sample, 5 without)", () => {
    const plain = new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
    const clipped = new DDIMScheduler({ ...YONOS_SCHEDULER_CONFIG, clip_sample: true });
    expect([plain.stepCopies, clipped.stepCopies]).toEqual([5, 6]);
    const vae = makeCodec();
    const unet = makeDenoiser();
    // A denoiser that needs nothing, so the scheduler step is the denoise stage's peak.
    Object.defineProperty(unet, 'estimateMemory', { value: () => ({ forward: 0, forwardRetained: 0 }) });
    const a = new YonosPipeline({ vae, unet, scheduler: plain }).tiling(64, 64, { tile: false });
    const b = new YonosPipeline({ vae, unet, scheduler: clipped }).tiling(64, 64, { tile: false });
    const latentBytes = 4 * 4 * (64 * 4 / 4) ** 2; // [1, 64, 64, 4] float32 latents of the 256 x 256 output
    expect(b.estimatedStageBytes.denoise - a.estimatedStageBytes.denoise).toBe(latentBytes); // one more latent (cpu: no heap slack)

    vae.dispose();
    unet.dispose();
  });

  it("StableDiffusionUpscalePipeline takes its latent multiple from the U-Net's downsampleFactor", () => {
    const unet = makeDenoiser({ in_channels: 7, block_out_channels: [8, 8] });
    Object.defineProperty(unet, 'classConditioning', { value: { kind: 'timestep' } });
    const pipe = new StableDiffusionUpscalePipeline({ vae: makeCodec(), unet, maxNoiseLevel: 350 });
    expect(pipe.latentMultiple).toBe(2);
    expect(pipe.latentShape(5, 7)).toEqual([1, 6, 8, 4]);
    pipe.dispose();
  });
});
