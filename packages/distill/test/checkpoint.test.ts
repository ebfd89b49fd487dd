// Checkpoints: diffusers layout, exact round-trip, pruning, interrupted saves, damaged folders.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRng, loadPretrained, useBackend } from '@yonos/core';
import {
  AdamW,
  CheckpointError,
  Ema,
  OptimizerStateError,
  findLatestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  namedVariables,
  pruneCheckpoints,
  saveCheckpoint,
} from '../src/index.js';
import { checkpointName, cleanStaleCheckpointFolders } from '../src/checkpoint/index.js';
import { removeDir, tempDir } from './helpers/fs.js';
import { TinyConvNet } from './helpers/tiny-model.js';
import { bitDifferences, hostState, weightsOf } from './helpers/tensors.js';

let root: string;

beforeAll(async () => {
  await useBackend('cpu');
  root = await tempDir();
});

afterAll(async () => {
  await removeDir(root);
});

/** A model, optimizer (with state) and EMA after two updates with random gradients. */
function trainedParts(seed: number) {
  const model = new TinyConvNet().initialize(createRng(seed));
  const optimizer = new AdamW(namedVariables({ net: model }), { lr: 0.01 });
  const ema = new Ema(model, { decay: 0.9 });
  const rng = createRng(seed + 1);
  for (let k = 0; k < 2; k++) {
    const grads = new Map([...optimizer.variables].map(([n, v]) => [n, rng.normal(v.shape)]));
    optimizer.step(grads);
    tf.dispose([...grads.values()]);
    ema.update();
  }
  return { model, optimizer, ema, dispose: () => [model, optimizer, ema].forEach((x) => x.dispose()) };
}

describe('saveCheckpoint / loadCheckpoint', () => {
  test('writes the diffusers layout and restores weights, optimizer, EMA and generator bit for bit; leak-free', async () => {
    const dir = join(root, 'roundtrip');
    const a = trainedParts(1);
    const runRng = createRng(77);
    runRng.nextInt(0, 10);
    const before = tf.memory().numTensors;
    const path = await saveCheckpoint(dir, {
      step: 12,
      models: { net: a.model },
      optimizer: a.optimizer,
      ema: a.ema,
      rngState: runRng.getState(),
      extra: { config: { lr: 0.01 } },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(path).toBe(join(dir, 'checkpoint-00000012'));
    expect((await readdir(path)).sort()).toEqual(['ema.safetensors', 'net', 'optimizer.safetensors', 'trainer_state.json']);
    expect((await readdir(join(path, 'net'))).sort()).toEqual(['config.json', 'diffusion_pytorch_model.safetensors']);
    const config = JSON.parse(await readFile(join(path, 'net', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['_class_name']).toBe('TinyConvNet');

    // The model folder is a plain diffusers folder: core's loader reads it.
    const viaCore = await loadPretrained(TinyConvNet, path, { subfolder: 'net' });
    expect(bitDifferences(await weightsOf(viaCore), await weightsOf(a.model))).toBe(0);
    viaCore.dispose();

    const b = trainedParts(2);
    const rng = createRng(1);
    const loaded = await loadCheckpoint(path, { models: { net: b.model }, optimizer: b.optimizer, ema: b.ema, rng });
    expect(loaded.step).toBe(12);
    expect(loaded.extra).toEqual({ config: { lr: 0.01 } });
    expect(rng.getState()).toEqual(runRng.getState());
    expect(rng.nextFloat()).toBe(runRng.nextFloat());
    expect(bitDifferences(await weightsOf(a.model), await weightsOf(b.model))).toBe(0);
    for (const [x, y] of [
      [a.optimizer.exportState(), b.optimizer.exportState()],
      [a.ema.exportState(), b.ema.exportState()],
    ] as const) {
      const [hx, hy] = [await hostState(x), await hostState(y)];
      expect([...hx.keys()].sort()).toEqual([...hy.keys()].sort());
      const f = (m: Map<string, number[]>) => new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));
      expect(bitDifferences(f(hx), f(hy))).toBe(0);
      tf.dispose([...x.values(), ...y.values()]);
    }
    expect(b.optimizer.stepCount('net.conv_in.weight')).toBe(2);
    expect(b.ema.optimizationStep).toBe(2);
    a.dispose();
    b.dispose();
  });

  test('keepLast prunes the oldest only after the new checkpoint is complete; same step replaces', async () => {
    const dir = join(root, 'prune');
    const a = trainedParts(3);
    for (const step of [1, 2, 3, 4]) await saveCheckpoint(dir, { step, models: { net: a.model } }, { keepLast: 2 });
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([3, 4]);
    await saveCheckpoint(dir, { step: 4, models: { net: a.model }, extra: 'again' }, { keepLast: 2 });
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([3, 4]);
    expect((await loadCheckpoint(join(dir, checkpointName(4)))).extra).toBe('again');
    expect(await pruneCheckpoints(dir, 1)).toEqual([3]);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    a.dispose();
  });

  test('interrupted saves and deletions are invisible, and cleaned on request; damaged folders are skipped', async () => {
    const dir = join(root, 'stale');
    const a = trainedParts(4);
    await saveCheckpoint(dir, { step: 5, models: { net: a.model } });
    // What a SIGKILL leaves: a half-written temp folder of a newer step and a half-deleted trash folder.
    await mkdir(join(dir, '.tmp-checkpoint-00000006-abc', 'net'), { recursive: true });
    await writeFile(join(dir, '.tmp-checkpoint-00000006-abc', 'net', 'config.json'), '{');
    await mkdir(join(dir, '.trash-checkpoint-00000001-def'), { recursive: true });
    // A damaged folder with a valid name: unreadable state.
    await mkdir(join(dir, checkpointName(7)));
    await writeFile(join(dir, checkpointName(7), 'trainer_state.json'), '{"format": "yonos-trainer-state"');
    expect((await findLatestCheckpoint(dir))?.step).toBe(5);
    expect((await readdir(dir)).length).toBe(4);
    expect((await findLatestCheckpoint(dir, { cleanStale: true }))?.step).toBe(5);
    expect((await readdir(dir)).sort()).toEqual([checkpointName(5), checkpointName(7)]);
    expect(await cleanStaleCheckpointFolders(dir)).toEqual([]);
    await expect(loadCheckpoint(join(dir, checkpointName(7)))).rejects.toThrow(/not valid JSON/);
    expect(await findLatestCheckpoint(join(root, 'nowhere'))).toBeUndefined();
    a.dispose();
  });

  test('typed errors: missing model, wrong class, missing optimizer state, misfit state, bad arguments', async () => {
    const dir = join(root, 'errors');
    const a = trainedParts(5);
    const path = await saveCheckpoint(dir, { step: 1, models: { net: a.model } });
    await expect(loadCheckpoint(path, { models: { unet: a.model } })).rejects.toThrow(/has no model 'unet' \(it has: net\)/);
    await expect(loadCheckpoint(path, { optimizer: a.optimizer })).rejects.toThrow(CheckpointError);
    class OtherNet extends TinyConvNet {
      static override readonly className: string = 'OtherNet';
    }
    await expect(loadCheckpoint(path, { models: { net: new OtherNet() } })).rejects.toThrow(/holds a TinyConvNet, not a OtherNet/);
    await expect(saveCheckpoint(dir, { step: -1, models: {} })).rejects.toThrow(CheckpointError);
    await expect(saveCheckpoint(dir, { step: 1, models: { '../x': a.model } })).rejects.toThrow(/cannot be a folder name/);
    const withOpt = await saveCheckpoint(join(root, 'errors2'), { step: 1, models: {}, optimizer: a.optimizer });
    const smallNet = new TinyConvNet({ hidden: 4 }).initialize(createRng(1));
    const small = new AdamW(namedVariables({ net: smallNet }));
    await expect(loadCheckpoint(withOpt, { optimizer: small })).rejects.toThrow(/mis-shaped: .*exp_avg\/net.conv_in.weight: expected \[3, 3, 3, 4\], got \[3, 3, 3, 8\]/);
    await expect(loadCheckpoint(withOpt, { optimizer: small })).rejects.toThrow(OptimizerStateError);
    smallNet.dispose();
    a.dispose();
  });
});
