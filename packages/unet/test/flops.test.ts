// The analytic FLOP count against the kernels tfjs actually runs (shapes from tf.profile).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { beforeAll, expect, test } from 'vitest';
import { UNet2DConditionModel, UNet2DModel, unetFlops } from '../src/index.js';
import { FIXTURES } from './helpers/fixtures.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const config = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;

/** FLOPs of the Conv2D and BatchMatMul kernels a forward pass runs, from their recorded shapes. */
async function profiledFlops(run: () => tf.Tensor): Promise<number> {
  const info = await tf.profile(() => {
    const y = run();
    return y;
  });
  let total = 0;
  for (const k of info.kernels) {
    if (k.name === 'Conv2D') {
      const [filter] = [k.inputShapes[1]!];
      const out = k.outputShapes[0]!;
      total += 2 * out.reduce((a, b) => a * b, 1) * filter[0]! * filter[1]! * filter[2]!;
    } else if (k.name === 'BatchMatMul') {
      const [a, b] = [k.inputShapes[0]!, k.inputShapes[1]!];
      // No transposes in the forward pass: a [B, M, K] x b [B, K, N].
      expect(a[a.length - 1]).toBe(b[b.length - 2]);
      total += 2 * k.outputShapes[0]!.reduce((x, y) => x * y, 1) * a[a.length - 1]!;
    }
  }
  return total;
}

test.each([
  ['unet-sd2-tiny', 2, 8, 12, 5],
  ['unet-sd1-tiny', 1, 8, 8, 3],
  ['unet-sd1-tiny odd size', 1, 7, 9, 3],
] as const)('UNet2DConditionModel %s: counted = profiled', async (label, n, h, w, s) => {
  const model = UNet2DConditionModel.fromConfig(config(label.split(' ')[0]!)).initialize(createRng(1));
  const x = tf.zeros([n, h, w, 8]) as tf.Tensor4D;
  const ctx = tf.zeros([n, s, model.crossAttentionDim!]) as tf.Tensor3D;
  const profiled = await profiledFlops(() => model.forward(x, 10, ctx));
  expect(unetFlops(model, { batch: n, height: h, width: w, contextLength: s }).total).toBe(profiled);
  tf.dispose([x, ctx]);
  model.dispose();
});

test.each([['conv'], ['resnet']] as const)('UNet2DModel with %s resamplers: counted = profiled', async (kind) => {
  const model = UNet2DModel.fromConfig({ ...config('unet2d-tiny'), downsample_type: kind, upsample_type: kind }).initialize(createRng(2));
  const x = tf.zeros([2, 8, 8, 6]) as tf.Tensor4D;
  const profiled = await profiledFlops(() => model.forward(x, 3));
  expect(unetFlops(model, { batch: 2, height: 8, width: 8 }).total).toBe(profiled);
  x.dispose();
  model.dispose();
});
