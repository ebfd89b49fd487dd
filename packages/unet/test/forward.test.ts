// How the U-Nets take their inputs: timestep forms, shared contexts, odd sizes, centring, and
// typed errors for inputs they cannot take. Fixture weights, wasm backend (fast), tiny sizes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import type { Denoiser } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, UNet2DModel, UnetInputError } from '../src/index.js';
import { FIXTURES, loadCase } from './helpers/fixtures.js';
import type { LoadedCase } from './helpers/fixtures.js';
import { forwardNoLeak } from './helpers/models.js';

let sd2: LoadedCase;
let plain: LoadedCase;
let cond: UNet2DConditionModel;
let uncond: UNet2DModel;

beforeAll(async () => {
  await useBackend('wasm');
  sd2 = await loadCase('unet-sd2-tiny');
  plain = await loadCase('unet2d-tiny');
  cond = UNet2DConditionModel.fromConfig(sd2.config).loadStateDict(sd2.weights);
  uncond = UNet2DModel.fromConfig(plain.config).loadStateDict(plain.weights);
});

afterAll(() => {
  cond.dispose();
  uncond.dispose();
  sd2.dispose();
  plain.dispose();
});

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

/** Runs both forwards and returns max |a - b|, disposing everything. */
async function diffOf(f: () => tf.Tensor, g: () => tf.Tensor): Promise<number> {
  const a = f();
  const b = g();
  const d = await maxAbsDiff(a, b);
  tf.dispose([a, b]);
  return d;
}

test('both models satisfy the Denoiser contract', () => {
  const denoisers: Denoiser[] = [cond, uncond];
  expect(denoisers.map((d) => [d.inChannels, d.outChannels, d.crossAttentionDim])).toEqual([
    [8, 4, 24],
    [6, 3, undefined],
  ]);
});

describe('timesteps', () => {
  test('a number, a [1] tensor and a scalar tensor broadcast like a [N] tensor of equal values', async () => {
    const x = sd2.sample;
    const ctx = sd2.context!;
    const perSample = tf.tensor1d([321, 321], 'int32');
    const one = tf.tensor1d([321], 'int32');
    const scalar = tf.scalar(321, 'int32');
    const reference = cond.forward(x, perSample, ctx);
    for (const t of [321, one, scalar]) {
      const out = forwardNoLeak(cond, x, t, ctx);
      expect(await maxAbsDiff(out, reference)).toBeLessThan(1e-5);
      out.dispose();
    }
    tf.dispose([perSample, one, scalar, reference]);
  });

  test('UNet2DModel rounds a number toward zero (diffusers makes it a long); UNet2DConditionModel keeps fractions', async () => {
    expect(await diffOf(() => uncond.forward(plain.sample, 17.9), () => uncond.forward(plain.sample, 17))).toBe(0);
    expect(await diffOf(() => cond.forward(sd2.sample, 17.9, sd2.context), () => cond.forward(sd2.sample, 17, sd2.context))).toBeGreaterThan(0);
  });

  test('a timestep tensor of the wrong length is refused', () => {
    const t = tf.tensor1d([1, 2, 3], 'int32');
    expect(() => cond.forward(sd2.sample, t, sd2.context)).toThrow(UnetInputError);
    expect(() => cond.forward(sd2.sample, Number.NaN, sd2.context)).toThrow(/finite/);
    t.dispose();
  });
});

describe('context', () => {
  test('a [1, L, dim] context is shared by the batch', async () => {
    const first = tf.slice(sd2.context!, [0, 0, 0], [1, -1, -1]) as tf.Tensor3D;
    const tiled = tf.tile(first, [2, 1, 1]) as tf.Tensor3D;
    expect(await diffOf(() => forwardNoLeak(cond, sd2.sample, 999, first), () => cond.forward(sd2.sample, 999, tiled))).toBeLessThan(1e-6);
    tf.dispose([first, tiled]);
  });

  test('cross-attention networks require a context of the right width; UNet2DModel takes none', () => {
    expect(() => cond.forward(sd2.sample, 999)).toThrow(/null context/);
    const wrong = tf.zeros([2, 5, 16]) as tf.Tensor3D;
    expect(() => cond.forward(sd2.sample, 999, wrong)).toThrow(UnetInputError);
    expect(() => uncond.forward(plain.sample, 1, wrong)).toThrow(/no cross-attention/);
    wrong.dispose();
  });
});

describe('samples', () => {
  test('NCHW or wrong-channel samples are refused with a hint', () => {
    const nchw = tf.zeros([2, 8, 16, 16]) as tf.Tensor4D;
    expect(() => cond.forward(nchw, 1, sd2.context)).toThrow(/NHWC.*transpose/);
    const ints = tf.zeros([1, 16, 16, 8], 'int32') as tf.Tensor4D;
    expect(() => cond.forward(ints, 1, sd2.context)).toThrow(/float32/);
    tf.dispose([nchw, ints]);
  });

  test('UNet2DConditionModel takes sizes that are not multiples of 4 (upsampling to the skip sizes)', () => {
    const x = tf.slice(sd2.sample, [0, 0, 0, 0], [2, 13, 10, 8]) as tf.Tensor4D;
    const out = forwardNoLeak(cond, x, 999, sd2.context);
    expect(out.shape).toEqual([2, 13, 10, 4]);
    tf.dispose([x, out]);
  });

  test('UNet2DModel refuses sizes that are not multiples of 2^(levels-1)', () => {
    const x = tf.slice(plain.sample, [0, 0, 0, 0], [2, 14, 16, 6]) as tf.Tensor4D;
    expect(() => uncond.forward(x, 1)).toThrow(/multiples of 4/);
    x.dispose();
  });

  test('center_input_sample maps x to 2x - 1 first', async () => {
    const centred = UNet2DModel.fromConfig({ ...plain.config, center_input_sample: true }).loadStateDict(plain.weights);
    const shifted = tf.tidy(() => tf.sub(tf.mul(plain.sample, 2), 1)) as tf.Tensor4D;
    expect(await diffOf(() => centred.forward(plain.sample, 5), () => uncond.forward(shifted, 5))).toBe(0);
    tf.dispose(shifted);
    centred.dispose();
  });
});

describe('input values', () => {
  test('empty samples are refused', () => {
    const shapes: Array<[number, number, number, number]> = [
      [0, 16, 16, 8],
      [2, 0, 16, 8],
      [2, 16, 0, 8],
    ];
    for (const shape of shapes) {
      const x = tf.zeros(shape) as tf.Tensor4D;
      expect(() => cond.forward(x, 1, sd2.context)).toThrow(`UNet2DConditionModel got an empty sample [${shape.join(', ')}]`);
      x.dispose();
    }
    const empty = tf.zeros([2, 0, 0, 6]) as tf.Tensor4D;
    expect(() => uncond.forward(empty, 1)).toThrow(/empty sample \[2, 0, 0, 6\]/);
    empty.dispose();
  });

  test('timesteps outside [0, numTrainTimesteps) are refused, numbers and tensors, without leaks', () => {
    expect([cond.numTrainTimesteps, uncond.numTrainTimesteps]).toEqual([1000, 1000]);
    expect(() => cond.forward(sd2.sample, -1, sd2.context)).toThrow('UNet2DConditionModel: timestep -1 is, outside [0, 1000)');
    expect(() => cond.forward(sd2.sample, 1000, sd2.context)).toThrow(/timestep 1000 is, outside \[0, 1000\).*set the model's numTrainTimesteps/);
    expect(() => uncond.forward(plain.sample, 1000)).toThrow(UnetInputError);
    expect(() => uncond.forward(plain.sample, -0.5)).toThrow(/timestep -0.5 is/);
    const late = tf.tensor1d([5, 1000], 'int32');
    const negative = tf.tensor1d([-3], 'float32');
    const nan = tf.tensor1d([5, Number.NaN], 'float32');
    const before = tf.memory().numTensors;
    expect(() => cond.forward(sd2.sample, late, sd2.context)).toThrow('UNet2DConditionModel: timesteps range from 5 to 1000, outside [0, 1000)');
    expect(() => uncond.forward(plain.sample, negative)).toThrow('UNet2DModel: timestep -3 is, outside [0, 1000)');
    expect(() => cond.forward(sd2.sample, nan, sd2.context)).toThrow(/timestep tensor contains NaN/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([late, negative, nan]);

    // The bound follows numTrainTimesteps, and UNet2DModel's config key sets it.
    const longer = UNet2DModel.fromConfig({ ...plain.config, num_train_timesteps: 2000 }).loadStateDict(plain.weights);
    expect(longer.numTrainTimesteps).toBe(2000);
    tf.dispose(longer.forward(plain.sample, 1500));
    longer.numTrainTimesteps = 1000;
    expect(() => longer.forward(plain.sample, 1500)).toThrow(/outside \[0, 1000\)/);
    longer.dispose();
  });

  test('a sample with NaN or infinity is refused; validateInputs: false skips the value checks', async () => {
    const mask = tf.tidy(() => tf.equal(tf.reshape(tf.range(0, plain.sample.size), plain.sample.shape), 37));
    const before = tf.memory().numTensors;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const x = tf.tidy(() => tf.where(mask, tf.fill(plain.sample.shape, bad), plain.sample)) as tf.Tensor4D;
      expect(() => uncond.forward(x, 10)).toThrow('UNet2DModel: the sample contains NaN or infinite values');
      const y = tf.tidy(() => tf.slice(tf.concat([x, x], 3), [0, 0, 0, 0], [2, 16, 16, 8])) as tf.Tensor4D;
      expect(() => cond.forward(y, 10, sd2.context)).toThrow('UNet2DConditionModel: the sample contains NaN or infinite values');
      tf.dispose([x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);

    const x = tf.tidy(() => tf.where(mask, tf.fill(plain.sample.shape, Number.NaN), plain.sample)) as tf.Tensor4D;
    const late = tf.tensor1d([1000, 1000], 'int32');
    uncond.validateInputs = false;
    try {
      const out = uncond.forward(x, late);
      expect(Array.from(await out.data()).some(Number.isNaN)).toBe(true);
      out.dispose();
      expect(() => uncond.forward(x, 1000)).toThrow(/timestep 1000 is/);
    } finally {
      uncond.validateInputs = 'auto';
    }
    tf.dispose([x, late, mask]);
  });
});

describe('less common config options build and run', () => {
  test.each([
    [{ mid_block_type: null }, []],
    [{ mid_block_type: 'UNetMidBlock2D' }, [['mid_block.resnets.0.conv1.weight', [64, 64, 3, 3]]]],
    [{ time_embedding_dim: 48 }, [['time_embedding.linear_1.weight', [48, 32]], ['down_blocks.0.resnets.0.time_emb_proj.weight', [32, 48]]]],
    [{ time_cond_proj_dim: 7, timestep_post_act: 'silu', time_embedding_act_fn: 'mish' }, [['time_embedding.cond_proj.weight', [32, 7]]]],
    [{ conv_in_kernel: 5, conv_out_kernel: 1 }, [['conv_in.weight', [32, 8, 5, 5]], ['conv_out.weight', [4, 32, 1, 1]]]],
    [{ resnet_time_scale_shift: 'scale_shift' }, [['mid_block.resnets.1.time_emb_proj.weight', [128, 128]]]],
    [{ down_block_types: ['AttnDownBlock2D', 'DownBlock2D'], up_block_types: ['UpBlock2D', 'AttnUpBlock2D'] }, [['down_blocks.0.attentions.0.to_q.weight', [32, 32]]]],
  ] as const)('%j', async (extra, shapes) => {
    const base = JSON.parse(readFileSync(join(FIXTURES, 'unet-sd1-tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
    const model = UNet2DConditionModel.fromConfig({ ...base, ...extra }).initialize(createRng(4));
    const expected = model.expectedShapes();
    for (const [key, shape] of shapes) expect(expected.get(key), key).toEqual(shape);
    if ('mid_block_type' in extra && extra.mid_block_type === null) expect([...expected.keys()].some((k) => k.startsWith('mid_block'))).toBe(false);
    const x = tf.slice(sd2.sample, [0, 0, 0, 0], [1, 8, 8, 8]) as tf.Tensor4D;
    const ctx = tf.zeros([1, 1, 16]) as tf.Tensor3D;
    const out = forwardNoLeak(model, x, 3, model.crossAttentionDim === undefined ? undefined : ctx);
    expect(out.shape).toEqual([1, 8, 8, 4]);
    const finite = tf.tidy(() => tf.all(tf.isFinite(out)));
    expect((await finite.data())[0]).toBe(1);
    finite.dispose();
    tf.dispose([x, ctx, out]);
    model.dispose();
  });
});
