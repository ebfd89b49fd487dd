// The training loop on cpu: progress, metrics log, checkpoints, abort, NaN handling, exact resume.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '@yonos/core';
import type { ProgressEvent } from '@yonos/core';
import { NonFiniteLossError, TrainingDivergedError, findLatestCheckpoint, listCheckpoints, readMetricsLog, readTrainerState } from '../src/index.js';
import { removeDir, snapshotFiles, tempDir } from './helpers/fs.js';
import { writeImageFolder } from './helpers/images.js';
import { bitDifferences, weightsOf } from './helpers/tensors.js';
import { runTinyTraining } from './helpers/tiny-run.js';

let root: string;
let dataDir: string;

beforeAll(async () => {
  await useBackend('cpu');
  root = await tempDir();
  dataDir = `${root}/data`;
  await writeImageFolder(dataDir, 5);
});

afterAll(async () => {
  await removeDir(root);
});

describe('trainLoop on cpu', () => {
  test('trains, reports progress, logs JSONL, checkpoints on schedule, keeps the last K, leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const events: ProgressEvent[] = [];
    const ckDir = `${root}/run1`;
    const run = await runTinyTraining({
      dataDir,
      checkpointDir: ckDir,
      maxSteps: 6,
      checkpointEvery: 2,
      keepLast: 2,
      metricsLog: `${root}/run1.jsonl`,
      onProgress: (e) => events.push(e),
    });
    expect(run.result).toMatchObject({ step: 6, status: 'completed', resumedFrom: undefined });
    const train = events.filter((e) => e.stage === 'train');
    expect(train.map((e) => e.completed)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const e of train) {
      expect(e.total).toBe(6);
      for (const k of ['loss', 'lr', 'stepsPerSecond', 'etaSeconds', 'gradNorm']) expect(typeof e.detail?.[k]).toBe('number');
      expect(Number.isFinite(e.detail?.['loss'] as number)).toBe(true);
    }
    // Warmup of 2 steps: the first update has lr 0, the second lr/2.
    expect(train[0]!.detail?.['lr']).toBe(0);
    expect(train[1]!.detail?.['lr']).toBeCloseTo(5e-3, 12);
    expect(events.filter((e) => e.stage === 'checkpoint' && e.completed === 1).map((e) => e.detail?.['step'])).toEqual([2, 4, 6]);
    expect((await listCheckpoints(ckDir)).map((c) => c.step)).toEqual([4, 6]);
    const state = await readTrainerState((await findLatestCheckpoint(ckDir))!.path);
    expect(state.step).toBe(6);
    expect(state.extra).toEqual({ note: 'tiny', step: 6 });
    expect(state.models['net']).toEqual({ subfolder: 'net', class_name: 'TinyConvNet' });

    const log = await readMetricsLog(`${root}/run1.jsonl`);
    const steps = log.filter((r) => typeof r['loss'] === 'number');
    expect(steps.map((r) => r['step'])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps.map((r) => r['loss'])).toEqual(train.map((e) => e.detail?.['loss']));
    expect(log.at(-1)).toMatchObject({ event: 'completed', step: 6 });

    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('resuming in-process from the middle gives bit-identical weights, optimizer and EMA state', async () => {
    const straight = await runTinyTraining({ dataDir, maxSteps: 6, gradAccumulation: 2 });
    const ckDir = `${root}/run2`;
    const first = await runTinyTraining({ dataDir, checkpointDir: ckDir, maxSteps: 3, totalSteps: 6, gradAccumulation: 2 });
    first.dispose();
    const second = await runTinyTraining({ dataDir, checkpointDir: ckDir, maxSteps: 6, gradAccumulation: 2 });
    expect(second.result.resumedFrom).toMatch(/checkpoint-00000003$/);
    expect(second.result.resumedExtra).toEqual({ note: 'tiny', step: 3 });
    expect(bitDifferences(await weightsOf(straight.model), await weightsOf(second.model))).toBe(0);
    const a = straight.optimizer.exportState();
    const b = second.optimizer.exportState();
    const host = async (m: Map<string, tf.Tensor>) => new Map(await Promise.all([...m].map(async ([k, t]) => [k, Float32Array.from(await t.data())] as const)));
    expect(bitDifferences(await host(a), await host(b))).toBe(0);
    const ea = straight.ema.exportState();
    const eb = second.ema.exportState();
    expect(bitDifferences(await host(ea), await host(eb))).toBe(0);
    tf.dispose([...a.values(), ...b.values(), ...ea.values(), ...eb.values()]);
    straight.dispose();
    second.dispose();
  });

  test('an abort signal stops between steps and saves a checkpoint', async () => {
    const controller = new AbortController();
    const ckDir = `${root}/run3`;
    const run = await runTinyTraining({
      dataDir,
      checkpointDir: ckDir,
      maxSteps: 10,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.stage === 'train' && e.completed === 3) controller.abort();
      },
    });
    expect(run.result).toMatchObject({ step: 3, status: 'aborted' });
    expect((await listCheckpoints(ckDir)).map((c) => c.step)).toEqual([3]);
    run.dispose();
  });

  test('a NaN loss throws NonFiniteLossError naming the step; the last good checkpoint stays byte-identical', async () => {
    const ckDir = `${root}/run4`;
    const good = await runTinyTraining({ dataDir, checkpointDir: ckDir, maxSteps: 2, totalSteps: 6 });
    good.dispose();
    const snapshot = await snapshotFiles(ckDir);
    const before = tf.memory().numTensors;
    const err = await runTinyTraining({
      dataDir,
      checkpointDir: ckDir,
      maxSteps: 6,
      checkpointEvery: 1,
      nanAtStep: 3,
      metricsLog: `${root}/run4.jsonl`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const e = err as NonFiniteLossError;
    expect(e.step).toBe(3);
    expect(Number.isNaN(e.value)).toBe(true);
    expect(e.message).toMatch(/loss is NaN at step 3/);
    expect(e.message).toMatch(/resume from the last checkpoint/);
    // Step 2 (resumed) was good and saved at 3; the failing step saved nothing after it.
    expect((await listCheckpoints(ckDir)).map((c) => c.step)).toEqual([2, 3]);
    const after = await snapshotFiles(ckDir);
    for (const [file, bytes] of snapshot) expect(after.get(file)?.equals(bytes), file).toBe(true);
    const log = await readMetricsLog(`${root}/run4.jsonl`);
    expect(log.at(-1)).toMatchObject({ event: 'error', step: 3 });
    // The run's models were built inside the helper and are unreachable now; only their
    // parameters, optimizer moments and EMA remain: 2 convs x (weight, bias) parameters, and the
    // moments (m, v) and the averages each in one flat chunk.
    expect(tf.memory().numTensors - before).toBe(4 + 2 + 1);
  });
});
