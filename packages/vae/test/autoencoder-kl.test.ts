import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { DiagonalGaussianDistribution } from '@yonos/core/nn';
import type { LatentCodec } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL, VaeInputError } from '../src/index.js';
import { disposeIo, loadTinyIo, loadTinyWithStateDict, relError } from './helpers.js';
import type { TinyIo } from './helpers.js';

describe('AutoencoderKL API (vae-tiny on cpu)', () => {
  let vae: AutoencoderKL;
  let io: TinyIo;

  beforeAll(async () => {
    await useBackend('cpu');
    vae = await loadTinyWithStateDict();
    io = await loadTinyIo();
  });

  afterAll(() => {
    vae.dispose();
    disposeIo(io);
  });

  it('is a LatentCodec', () => {
    const codec: LatentCodec = vae;
    expect(codec.latentChannels).toBe(4);
    expect(codec.downsampleFactor).toBe(4);
  });

  it('encode returns an owned DiagonalGaussianDistribution of the latent shape', () => {
    const before = tf.memory().numTensors;
    const p = vae.encode(io.image);
    expect(p).toBeInstanceOf(DiagonalGaussianDistribution);
    expect(p.mean.shape).toEqual([2, 8, 8, 4]);
    expect(tf.memory().numTensors).toBe(before + 2);
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('forward decodes the mode, or a seeded draw with samplePosterior', async () => {
    const before = tf.memory().numTensors;
    const x = tf.slice(io.image, [0, 0, 0, 0], [1, 16, 16, 3]);
    const p = vae.encode(x);
    const viaMode = tf.tidy(() => vae.decode(p.mode()));
    const viaSample = tf.tidy(() => vae.decode(p.sample(createRng(5))));
    p.dispose();
    const modeOut = vae.forward(x);
    const sampleOut = vae.forward(x, { samplePosterior: true, rng: createRng(5) });
    expect(modeOut.shape).toEqual([1, 16, 16, 3]);
    expect(await relError(modeOut, viaMode)).toBe(0);
    expect(await relError(sampleOut, viaSample)).toBe(0);
    expect(await relError(sampleOut, viaMode)).toBeGreaterThan(0);
    tf.dispose([x, viaMode, viaSample, modeOut, sampleOut]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => vae.forward(io.image, { samplePosterior: true })).toThrow(VaeInputError);
  });

  it('handles sizes that are not multiples of the factor as diffusers does (floor)', () => {
    const before = tf.memory().numTensors;
    const x = tf.zeros([1, 18, 13, 3]) as tf.Tensor4D;
    const p = vae.encode(x);
    expect(p.mean.shape).toEqual([1, 4, 3, 4]);
    const y = vae.forward(x);
    expect(y.shape).toEqual([1, 16, 12, 3]);
    tf.dispose([x, y]);
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects NCHW, wrong channels and non-float inputs with a typed error, leaking nothing', () => {
    const nchw = tf.zeros([1, 3, 16, 16]) as tf.Tensor4D;
    const ints = tf.zeros([1, 16, 16, 3], 'int32') as tf.Tensor4D;
    const scaledLatent = tf.zeros([1, 4, 4, 8]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() => vae.encode(nchw)).toThrow(/NHWC image \[N, H, W, 3\].*transpose/);
    expect(() => vae.encode(ints)).toThrow(VaeInputError);
    expect(() => vae.decode(scaledLatent)).toThrow(/NHWC latent \[N, H, W, 4\]/);
    expect(() => vae.decode(nchw)).toThrow(VaeInputError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([nchw, ints, scaledLatent]);
  });

  it('refuses to run before it has weights', () => {
    const fresh = AutoencoderKL.fromConfig(vae.config);
    expect(() => fresh.decode(io.z)).toThrow(/initialize\(rng\) or model\.loadStateDict/);
  });
});
