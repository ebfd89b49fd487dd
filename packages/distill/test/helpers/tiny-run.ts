// One tiny, fully seeded training run, shared by in-process tests and the child process that
// the kill/resume tests SIGKILL.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@yonos/core';
import type { ProgressCallback } from '@yonos/core';
import { AdamW, Ema, ImageFolder, RandomCropBatches, cosineLr, namedVariables, trainLoop } from '../../src/index.js';
import type { TrainLoopOptions, TrainLoopResult, TrainTask } from '../../src/index.js';
import { TinyConvNet } from './tiny-model.js';

export interface TinyRunOptions {
  readonly dataDir: string;
  readonly checkpointDir?: string;
  readonly maxSteps: number;
  readonly totalSteps?: number;
  readonly checkpointEvery?: number;
  readonly keepLast?: number;
  readonly seed?: number;
  readonly gradAccumulation?: number;
  readonly resume?: 'auto' | string | false;
  readonly metricsLog?: string;
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
  /** Make the loss of this step (0-based) NaN. */
  readonly nanAtStep?: number;
  /** Hold every checkpoint save open this long once its temporary folder exists. */
  readonly slowSaveMs?: number;
}

export interface TinyRun {
  readonly model: TinyConvNet;
  readonly optimizer: AdamW;
  readonly ema: Ema;
  readonly result: TrainLoopResult;
  dispose(): void;
}

type Batch = { hr: tf.Tensor4D };

/** Builds the model, data, optimizer and EMA from the seed, then runs the loop. */
export async function runTinyTraining(o: TinyRunOptions): Promise<TinyRun> {
  const seed = o.seed ?? 7;
  const rng = createRng(seed);
  const model = new TinyConvNet().initialize(rng.fork('init'));
  if (o.slowSaveMs !== undefined) {
    // A save reads the weights once its temporary folder exists: blocking there lets a SIGKILL
    // sent on SAVE-START land inside the save whatever the machine's load.
    const stateDict = model.stateDict.bind(model);
    const pause = o.slowSaveMs;
    model.stateDict = (options) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
      return stateDict(options);
    };
  }
  const dataset = await ImageFolder.open(o.dataDir, { cacheBytes: 1 << 20 });
  const batches = new RandomCropBatches(dataset, { batchSize: 2, cropSize: 16, seed: rng.fork('data'), vflip: true, rot90: true });
  const optimizer = new AdamW(namedVariables({ net: model }), { lr: 1e-2, weightDecay: 1e-2 });
  const ema = new Ema(model, { decay: 0.9 });
  const task: TrainTask<Batch> = {
    batch: async (ctx) => ({ hr: await batches.batch(ctx.microBatchIndex) }),
    loss: ({ hr }, ctx) => {
      model.train(ctx.rng.fork('dropout'));
      const noisy = tf.add(hr, tf.mul(ctx.rng.normal(hr.shape), 0.1)) as tf.Tensor4D;
      const mse = tf.mean(tf.square(tf.sub(model.forward(noisy), hr))) as tf.Scalar;
      return (ctx.step === o.nanAtStep ? tf.mul(mse, Number.NaN) : mse) as tf.Scalar;
    },
  };
  const options: TrainLoopOptions<Batch> = {
    task,
    optimizer,
    rng,
    ema,
    maxSteps: o.maxSteps,
    lr: cosineLr(1e-2, { warmupSteps: 2, totalSteps: o.totalSteps ?? o.maxSteps }),
    clipNorm: 1,
    models: { net: model },
    gradAccumulation: o.gradAccumulation ?? 1,
    keepLast: o.keepLast ?? 2,
    checkpointEvery: o.checkpointEvery ?? 0,
    extra: (step: number) => ({ note: 'tiny', step }),
    ...(o.checkpointDir !== undefined ? { checkpointDir: o.checkpointDir } : {}),
    ...(o.resume !== undefined ? { resume: o.resume } : {}),
    ...(o.metricsLog !== undefined ? { metricsLog: o.metricsLog } : {}),
    ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  };
  const result = await trainLoop(options);
  return {
    model,
    optimizer,
    ema,
    result,
    dispose: () => {
      model.dispose();
      optimizer.dispose();
      ema.dispose();
    },
  };
}
