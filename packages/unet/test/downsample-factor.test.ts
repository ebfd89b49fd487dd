import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@yonos/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { UNet2DConditionModel, UNet2DModel, UnetInputError } from '../src/index.js';
import { FIXTURES } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const config = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;

describe('Denoiser.downsampleFactor', () => {
  test.each([
    ['unet2d-tiny', 'UNet2DModel', 4],
    ['unet-sd2-tiny', 'UNet2DConditionModel', 4],
    ['unet-sd1-tiny', 'UNet2DConditionModel', 2],
    ['sd-x4-upscaler-tiny/unet', 'UNet2DConditionModel', 8],
  ] as const)('%s (%s): 2^(levels - 1) = %i', (name, cls, factor) => {
    const c = config(name);
    const unet = cls === 'UNet2DModel' ? UNet2DModel.fromConfig(c) : UNet2DConditionModel.fromConfig(c);
    expect(unet.downsampleFactor).toBe(factor);
    expect(unet.downsampleFactor).toBe(2 ** ((c['block_out_channels'] as number[]).length - 1));
    unet.dispose();
  });

  test('UNet2DModel runs samples whose sides are multiples of it and refuses others', () => {
    const unet = UNet2DModel.fromConfig(config('unet2d-tiny')).initialize(createRng(1));
    const f = unet.downsampleFactor;
    const before = tf.memory().numTensors;
    const ok = tf.zeros([1, 2 * f, f, unet.inChannels]) as tf.Tensor4D;
    const odd = tf.zeros([1, 2 * f, f + 2, unet.inChannels]) as tf.Tensor4D;
    const out = unet.forward(ok, 10);
    expect(out.shape).toEqual([1, 2 * f, f, unet.outChannels]);
    expect(() => unet.forward(odd, 10)).toThrow(UnetInputError);
    tf.dispose([ok, odd, out]);
    expect(tf.memory().numTensors).toBe(before);
    unet.dispose();
  });
});
