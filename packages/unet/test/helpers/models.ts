import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { UNet2DConditionModel, UNet2DModel } from '../../src/index.js';
import type { LoadedCase, UnetCase } from './fixtures.js';

/** Builds the case's model class from its config and loads its weights. */
export function modelFor(name: UnetCase, c: LoadedCase): UNet2DConditionModel | UNet2DModel {
  const model = name === 'unet2d-tiny' ? UNet2DModel.fromConfig(c.config) : UNet2DConditionModel.fromConfig(c.config);
  return model.loadStateDict(c.weights);
}

/** Runs `model.forward` and checks that it allocated nothing beyond its output. */
export function forwardNoLeak(
  model: UNet2DConditionModel | UNet2DModel,
  sample: tf.Tensor4D,
  timestep: number | tf.Tensor,
  context?: tf.Tensor3D,
): tf.Tensor4D {
  const before = tf.memory().numTensors;
  const out = model.forward(sample, timestep, context);
  expect(tf.memory().numTensors - before, 'forward must leave only its output').toBe(1);
  return out;
}

/** Outcome of {@link trainStepCheck}. */
export interface TrainStepResult {
  readonly lossBefore: number;
  readonly lossAfter: number;
  /** Names of trainable parameters the step left bit-identical. */
  readonly unchanged: string[];
  readonly trainable: number;
}

/**
 * One Adam step on `mean(forward(x)^2)` over every trainable parameter, on a crop of the
 * case's inputs (batch 1, `size` x `size`), then the loss again. Leak-checked.
 */
export async function trainStepCheck(model: UNet2DConditionModel | UNet2DModel, c: LoadedCase, size: number): Promise<TrainStepResult> {
  const start = tf.memory().numTensors;
  const x = tf.slice(c.sample, [0, 0, 0, 0], [1, size, size, -1]) as tf.Tensor4D;
  const t = tf.slice(c.timestep, [0], [1]) as tf.Tensor1D;
  const ctx = c.context === undefined ? undefined : (tf.slice(c.context, [0, 0, 0], [1, -1, -1]) as tf.Tensor3D);
  const named = model.namedParameters().filter(([, p]) => p.trainable);
  const vars = named.map(([, p]) => p.value);
  const before = vars.map((v) => tf.clone(v));
  const loss = (): tf.Scalar => tf.mean(tf.square(model.forward(x, t, ctx))) as tf.Scalar;
  const optimizer = tf.train.adam(1e-4);
  const l0 = optimizer.minimize(loss, true, vars)!;
  const lossBefore = (await l0.data())[0]!;
  l0.dispose();
  const l1 = tf.tidy(loss);
  const lossAfter = (await l1.data())[0]!;
  l1.dispose();
  const unchanged: string[] = [];
  for (let i = 0; i < vars.length; i++) {
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(vars[i]!, before[i]!))));
    if ((await diff.data())[0] === 0) unchanged.push(named[i]![0]);
    diff.dispose();
  }
  optimizer.dispose();
  tf.dispose([x, t, ...(ctx === undefined ? [] : [ctx]), ...before]);
  expect(tf.memory().numTensors, 'a training step must free everything it allocated').toBe(start);
  return { lossBefore, lossAfter, unchanged, trainable: vars.length };
}
