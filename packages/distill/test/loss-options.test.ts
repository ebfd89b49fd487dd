// Loss options of the diffusion stages: per-latent-channel weights (measured from a decoder
// whose per-channel gain is known, validated, applied linearly and per channel), the timestep
// range, and their config keys.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { createRng, useBackend } from '@yonos/core';
import type { LatentCodec, LatentPosterior } from '@yonos/core';
import {
  TrainingArgumentError,
  TrainingConfigError,
  createSrStage,
  decoderChannelWeights,
  diffusionLossOptions,
  parseTrainConfig,
} from '../src/index.js';
import { checkChannelWeights, drawTimesteps } from '../src/stages/index.js';
import type { StepContext } from '../src/index.js';
import { FixedBatches, MINIMAL_SR_CONFIG, TestScheduler, makeCodec, makeDenoiser, poolDegradation } from './stages-fixtures.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** A codec whose decoder paints channel c with gain gains[c] into all three colours: its pixel MSE per unit latent noise is gains[c]^2. */
function linearCodec(gains: readonly number[], scalingFactor = 2): LatentCodec {
  const c = gains.length;
  const posterior = (mean: tf.Tensor4D): LatentPosterior => ({
    mean,
    logvar: tf.zerosLike(mean),
    sample: () => tf.clone(mean),
    mode: () => tf.clone(mean),
    kl: () => tf.zeros([mean.shape[0]]),
    dispose() {
      tf.dispose([this.mean, this.logvar]);
    },
  });
  return {
    latentChannels: c,
    downsampleFactor: 1,
    scalingFactor,
    shiftFactor: 0,
    encode: (image) => posterior(tf.tidy(() => tf.tile(tf.mean(image, 3, true), [1, 1, 1, c]) as tf.Tensor4D)),
    decode: (latent) => tf.tidy(() => tf.tile(tf.sum(tf.mul(latent, tf.tensor1d([...gains])), 3, true), [1, 1, 1, 3]) as tf.Tensor4D),
    // Every intermediate at once, float32 per pixel: encode 1 + c + c (mean, tiled, zero log-variance); decode c + 1 + 1 + 3.
    estimateMemory: ([n, h, w]) => ({ encode: 4 * n * h * w * (1 + 2 * c), decode: 4 * n * h * w * (c + 5) }),
  } as LatentCodec;
}

function ctxFor(step: number): StepContext {
  return { step, micro: 0, microBatchIndex: step, rng: createRng(5).fork(`step:${step}:0`) };
}

describe('decoderChannelWeights', () => {
  test('weights follow the squared decoder gain (mean 1), zero for a channel the decoder ignores, no leaks', async () => {
    const gains = [4, 1, 0.5, 0];
    const codec = linearCodec(gains);
    const hr = tf.randomUniform([2, 24, 24, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const weights = decoderChannelWeights(codec, hr, createRng(1));
    expect(tf.memory().numTensors).toBe(before);
    // The latent is in diffusion scale: a probe of std p moves the decoded image by gain * p / scalingFactor.
    const expected = gains.map((g) => g * g);
    const mean = expected.reduce((a, b) => a + b) / expected.length;
    console.info(`decoder weights ${weights.map((w) => w.toFixed(4)).join(' ')} vs gain^2 / mean ${expected.map((e) => (e / mean).toFixed(4)).join(' ')}`);
    expect(weights.reduce((a, b) => a + b) / weights.length).toBeCloseTo(1, 6);
    expect(weights[3]).toBe(0);
    for (let c = 0; c < 3; c++) expect(Math.abs(weights[c]! / (expected[c]! / mean) - 1)).toBeLessThan(0.15);
    // The same rng measures the same weights (a resumed run gets the numbers of the first).
    expect(decoderChannelWeights(codec, hr, createRng(1))).toEqual(weights);
    hr.dispose();
  });

  test('typed errors for a bad probe and for a decoder that ignores its latent', () => {
    const hr = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
    expect(() => decoderChannelWeights(linearCodec([1, 1]), hr, createRng(1), { probe: 0 })).toThrow(TrainingArgumentError);
    expect(() => decoderChannelWeights(linearCodec([0, 0]), hr, createRng(1))).toThrow(/does not respond/);
    hr.dispose();
  });
});

describe('checkChannelWeights', () => {
  test('one finite non-negative weight per channel, not all zero', () => {
    expect(() => checkChannelWeights([1, 2, 0, 1], 4)).not.toThrow();
    expect(() => checkChannelWeights([1, 2, 3], 4)).toThrow(/3 weights for a codec with 4/);
    expect(() => checkChannelWeights([1, -1, 1, 1], 4)).toThrow(TrainingArgumentError);
    expect(() => checkChannelWeights([1, Number.NaN, 1, 1], 4)).toThrow(TrainingArgumentError);
    expect(() => checkChannelWeights([0, 0, 0, 0], 4)).toThrow(/all zero/);
  });
});

describe('channel-weighted diffusion loss', () => {
  test('is linear in the weights and separates the channels: sum of one-hot losses = unweighted loss', async () => {
    const codec = makeCodec();
    const unet = makeDenoiser();
    const data = new FixedBatches(2, 16);
    const lossWith = async (channelWeights?: number[]): Promise<number> => {
      const stage = createSrStage({ codec, unet, scheduler: new TestScheduler(), data, degradation: poolDegradation, scale: 2, ...(channelWeights ? { channelWeights } : {}) });
      const ctx = ctxFor(2);
      const batch = await stage.task.batch(ctx);
      const loss = stage.task.loss(batch, ctx);
      const value = (await loss.data())[0]!;
      tf.dispose([batch, loss]);
      return value;
    };
    const plain = await lossWith();
    const oneHot = [];
    for (let c = 0; c < 4; c++) oneHot.push(await lossWith([0, 1, 2, 3].map((i) => (i === c ? 1 : 0))));
    const sum = oneHot.reduce((a, b) => a + b);
    console.info(`per-channel losses ${oneHot.map((l) => l.toFixed(5)).join(' ')}, sum ${sum.toFixed(6)}, unweighted ${plain.toFixed(6)}`);
    expect(Math.abs(sum - plain) / plain).toBeLessThan(1e-5);
    expect(Math.abs((await lossWith([2, 2, 2, 2])) / plain - 2)).toBeLessThan(1e-5);
    expect(new Set(oneHot.map((l) => l.toFixed(6))).size).toBe(4);
    expect(() => createSrStage({ codec, unet, scheduler: new TestScheduler(), data, degradation: poolDegradation, scale: 2, channelWeights: [1, 1] })).toThrow(TrainingArgumentError);
    codec.dispose();
    unet.dispose();
  });
});

describe('timestep range', () => {
  test('draws only inside [first, last], covers it, and refuses a range outside the schedule', async () => {
    const t = drawTimesteps(createRng(2), 4000, 1000, [990, 999]);
    expect(Math.min(...t)).toBe(990);
    expect(Math.max(...t)).toBe(999);
    expect(new Set(t).size).toBe(10);
    expect(drawTimesteps(createRng(2), 5, 1000, [999, 999])).toEqual([999, 999, 999, 999, 999]);
    expect(drawTimesteps(createRng(2), 50, 1000)).toEqual(drawTimesteps(createRng(2), 50, 1000, [0, 999]));
    for (const bad of [[5, 4], [-1, 3], [0, 1000], [1.5, 3]] as [number, number][]) expect(() => drawTimesteps(createRng(2), 1, 1000, bad)).toThrow(TrainingArgumentError);
    const codec = makeCodec();
    const unet = makeDenoiser();
    const stage = createSrStage({ codec, unet, scheduler: new TestScheduler(), data: new FixedBatches(2, 16), degradation: poolDegradation, scale: 2, timestepRange: [999, 999] });
    const batch = await stage.task.batch(ctxFor(1));
    expect(Array.from(await batch.timesteps.data())).toEqual([999, 999]);
    tf.dispose(batch);
    codec.dispose();
    unet.dispose();
  });
});

describe('timestep last share', () => {
  test('puts about that share on the last timestep, the rest uniform; 0 draws as without it', () => {
    const t = drawTimesteps(createRng(3), 20000, 1000, undefined, 0.5);
    const last = t.filter((x) => x === 999).length / t.length;
    // 0.5 outright plus 0.5 * 1/1000 from the uniform half; binomial sd ~0.0035.
    expect(Math.abs(last - 0.5005)).toBeLessThan(0.015);
    const rest = t.filter((x) => x !== 999);
    expect(Math.min(...rest)).toBe(0);
    expect(Math.abs(rest.reduce((a, b) => a + b, 0) / rest.length - 499)).toBeLessThan(10);
    expect(drawTimesteps(createRng(3), 40, 1000, [0, 999], 0)).toEqual(drawTimesteps(createRng(3), 40, 1000));
    expect(drawTimesteps(createRng(3), 8, 1000, [10, 20], 1)).toEqual(Array(8).fill(20));
    for (const bad of [-0.1, 1.5, Number.NaN]) expect(() => drawTimesteps(createRng(3), 1, 1000, undefined, bad)).toThrow(TrainingArgumentError);
  });
});

describe('loss.channel_weights, loss.weighting and loss.timestep_range in the configs', () => {
  const base = MINIMAL_SR_CONFIG;
  test('accepts null, "decoder" and an array; rejects anything else with the key named', () => {
    expect(parseTrainConfig('sr', { ...base, loss: { channel_weights: 'decoder' } }).loss.channel_weights).toBe('decoder');
    expect(parseTrainConfig('sr', { ...base, loss: { channel_weights: [1, 0.5] } }).loss.channel_weights).toEqual([1, 0.5]);
    expect(parseTrainConfig('sr', { ...base, loss: { channel_weights: null } }).loss.channel_weights).toBeNull();
    for (const bad of ['pixels', [-1, 1], []]) {
      try {
        parseTrainConfig('sr', { ...base, loss: { channel_weights: bad } });
        throw new Error('expected a TrainingConfigError');
      } catch (error) {
        expect(error).toBeInstanceOf(TrainingConfigError);
        expect((error as TrainingConfigError).problems.join('\n')).toMatch(/loss\.channel_weights/);
      }
    }
  });

  test('timestep_range is null or two non-negative integers', () => {
    expect(parseTrainConfig('sr', base).loss.timestep_range).toBeNull();
    expect(parseTrainConfig('sr', { ...base, loss: { timestep_range: [999, 999] } }).loss.timestep_range).toEqual([999, 999]);
    for (const bad of [[999], [-1, 5], [1.5, 2], 'last']) expect(() => parseTrainConfig('sr', { ...base, loss: { timestep_range: bad } })).toThrow(/loss\.timestep_range/);
  });

  test('timestep_last_share is a number in [0, 1], 0 by default', () => {
    expect(parseTrainConfig('sr', base).loss.timestep_last_share).toBe(0);
    expect(parseTrainConfig('sr', { ...base, loss: { timestep_last_share: 0.5 } }).loss.timestep_last_share).toBe(0.5);
    for (const bad of [-0.5, 2, 'half']) expect(() => parseTrainConfig('sr', { ...base, loss: { timestep_last_share: bad } })).toThrow(/loss\.timestep_last_share/);
  });

  test('timestep_uniform_weight is in (0, 1], 1 by default, and needs a timestep_last_share', () => {
    expect(parseTrainConfig('sr', base).loss.timestep_uniform_weight).toBe(1);
    expect(parseTrainConfig('sr', { ...base, loss: { timestep_last_share: 0.8, timestep_uniform_weight: 0.1 } }).loss.timestep_uniform_weight).toBe(0.1);
    for (const bad of [0, -0.1, 1.5, 'low']) {
      expect(() => parseTrainConfig('sr', { ...base, loss: { timestep_last_share: 0.8, timestep_uniform_weight: bad } })).toThrow(/loss\.timestep_uniform_weight/);
    }
    expect(() => parseTrainConfig('sr', { ...base, loss: { timestep_uniform_weight: 0.1 } })).toThrow(/loss\.timestep_uniform_weight: .*timestep_last_share/);
  });

  test('weighting is "prediction" or "x0", and "x0" excludes snr_gamma', () => {
    expect(parseTrainConfig('sr', { ...base, loss: { weighting: 'x0' } }).loss.weighting).toBe('x0');
    expect(parseTrainConfig('sr', base).loss.weighting).toBe('prediction');
    expect(() => parseTrainConfig('sr', { ...base, loss: { weighting: 'eps' } })).toThrow(/loss\.weighting: must be "prediction" or "x0"/);
    expect(() => parseTrainConfig('sr', { ...base, loss: { weighting: 'x0', snr_gamma: 5 } })).toThrow(/loss\.weighting: snr_gamma and weighting "x0"/);
  });

  test('diffusionLossOptions maps every loss key (and residual) to the stage option of the same meaning', () => {
    const sr = parseTrainConfig('sr', {
      ...base,
      residual: true,
      loss: { snr_gamma: null, weighting: 'x0', timestep_range: [10, 999], timestep_last_share: 0.8, timestep_uniform_weight: 0.2, latent: 'mean', channel_weights: 'decoder' },
    });
    expect(diffusionLossOptions(sr)).toEqual({ weighting: 'x0', residual: true, timestepRange: [10, 999], lastTimestepShare: 0.8, uniformTimestepWeight: 0.2, latentMode: 'mean' });
    // Defaults: no snrGamma or timestepRange key at all (the stages' own defaults apply), share 0.
    expect(diffusionLossOptions(parseTrainConfig('sr', base))).toEqual({ weighting: 'prediction', residual: false, lastTimestepShare: 0, uniformTimestepWeight: 1, latentMode: 'sample' });
    expect(diffusionLossOptions(parseTrainConfig('sr', { ...base, loss: { snr_gamma: 5 } })).snrGamma).toBe(5);
  });
});
