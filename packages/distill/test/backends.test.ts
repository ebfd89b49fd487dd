// The training loop on wasm and webgpu: a few steps, a checkpoint, a resume. The first two
// updates use lr 0 (with decay lr * wd = 0), so the first two losses are both computed on
// the same initial weights as on cpu and must agree with cpu to float32 accuracy.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BackendUnavailableError, useBackend } from '@yonos/core';
import type { BackendName, ProgressEvent } from '@yonos/core';
import { listCheckpoints } from '../src/index.js';
import { removeDir, tempDir } from './helpers/fs.js';
import { writeImageFolder } from './helpers/images.js';
import { runTinyTraining } from './helpers/tiny-run.js';

let root: string;
let dataDir: string;
let cpuLosses: number[];

async function losses(backendDir: string, maxSteps: number, resume?: false): Promise<{ losses: number[]; step: number; resumedFrom: string | undefined }> {
  const events: ProgressEvent[] = [];
  const run = await runTinyTraining({
    dataDir,
    checkpointDir: backendDir,
    maxSteps,
    totalSteps: 4,
    ...(resume === false ? { resume } : {}),
    onProgress: (e) => events.push(e),
  });
  run.dispose();
  return {
    losses: events.filter((e) => e.stage === 'train').map((e) => e.detail?.['loss'] as number),
    step: run.result.step,
    resumedFrom: run.result.resumedFrom,
  };
}

beforeAll(async () => {
  await useBackend('cpu');
  root = await tempDir();
  dataDir = `${root}/data`;
  await writeImageFolder(dataDir, 4);
  cpuLosses = (await losses(`${root}/cpu`, 3)).losses;
});

afterAll(async () => {
  await useBackend('cpu');
  await removeDir(root);
});

for (const backend of ['wasm', 'webgpu'] as BackendName[]) {
  describe(`trainLoop on ${backend}`, () => {
    test('trains 3 steps with checkpoints, resumes to 4; losses match cpu where the weights are the initial ones', async (ctx) => {
      try {
        await useBackend(backend);
      } catch (err) {
        if (err instanceof BackendUnavailableError) ctx.skip(`${backend} cannot be initialized here: ${err.message}`);
        throw err;
      }
      expect(tf.getBackend()).toBe(backend);
      const dir = `${root}/${backend}`;
      const before = tf.memory().numTensors;
      const first = await losses(dir, 3, false);
      expect(first.losses.length).toBe(3);
      for (const l of first.losses) expect(Number.isFinite(l)).toBe(true);
      const rel = first.losses.slice(0, 2).map((l, i) => Math.abs(l - cpuLosses[i]!) / cpuLosses[i]!);
      console.info(`${backend}: losses ${first.losses.map((l) => l.toPrecision(6)).join(', ')}; cpu ${cpuLosses.map((l) => l.toPrecision(6)).join(', ')}; rel diff of the first two ${rel.map((r) => r.toExponential(1)).join(', ')} (tolerance 1e-5)`);
      for (const r of rel) expect(r).toBeLessThan(1e-5);
      const second = await losses(dir, 4);
      expect(second.resumedFrom).toMatch(/checkpoint-00000003$/);
      expect(second.step).toBe(4);
      expect(second.losses.length).toBe(1);
      expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([3, 4]);
      expect(tf.memory().numTensors).toBe(before);
    }, 300_000);
  });
}
