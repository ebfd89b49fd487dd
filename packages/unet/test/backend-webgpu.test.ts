// diffusers parity and a training step on webgpu (Dawn + SwiftShader in Node: slow, so one
// conditioned and one unconditioned case at tiny sizes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, createRng, useBackend } from '@yonos/core';
import { expect, test } from 'vitest';
import { UNet2DModel, UnetInputError } from '../src/index.js';
import { FIXTURES } from './helpers/fixtures.js';
import { backendSuite } from './helpers/suites.js';

backendSuite('webgpu', {
  parity: ['unet-sd1-tiny', 'unet2d-tiny'],
  train: ['unet-sd1-tiny', 'unet2d-tiny'],
  trainSize: 8,
  skipIfUnavailable: true,
});

// webgpu in Node has no synchronous reads: 'auto' skips the value checks there, and an explicit
// validateInputs: true says why it cannot run instead of failing inside tfjs.
test('input value checks: skipped by default on webgpu, a typed error when forced', async (ctx) => {
  try {
    await useBackend('webgpu');
  } catch (err) {
    if (err instanceof BackendUnavailableError) ctx.skip(`webgpu cannot be created here: ${err.message}`);
    throw err;
  }
  const config = JSON.parse(readFileSync(join(FIXTURES, 'unet2d-tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
  const unet = UNet2DModel.fromConfig(config).initialize(createRng(0));
  const x = createRng(1).normal([1, 8, 8, 6]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  tf.dispose(unet.forward(x, 5));
  expect(() => unet.forward(x, 1000)).toThrow(/timestep 1000 is/);
  unet.validateInputs = true;
  expect(() => unet.forward(x, 5)).toThrow(UnetInputError);
  expect(() => unet.forward(x, 5)).toThrow(/the webgpu backend cannot read the check's result synchronously.*set validateInputs to 'auto' or false/);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(x);
  unet.dispose();
});
