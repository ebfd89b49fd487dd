// SIGKILL at any moment, even during a save, then resume: the result must equal an
// uninterrupted run bit for bit (cpu). The trainer runs in a child process we kill.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRng, useBackend } from '@yonos/core';
import { findLatestCheckpoint, listCheckpoints, loadCheckpoint } from '../src/index.js';
import { EMA_FILE, OPTIMIZER_FILE, checkpointName } from '../src/checkpoint/index.js';
import { runChild } from './helpers/child.js';
import { removeDir, tempDir } from './helpers/fs.js';
import { writeImageFolder } from './helpers/images.js';
import { TinyConvNet } from './helpers/tiny-model.js';
import { runTinyTraining } from './helpers/tiny-run.js';

const WEIGHTS = join('net', 'diffusion_pytorch_model.safetensors');
/** Files whose bytes hold every float of the run's state (trainer_state.json has a timestamp). */
const STATE_FILES = [WEIGHTS, OPTIMIZER_FILE, EMA_FILE];

let root: string;
let dataDir: string;

beforeAll(async () => {
  await useBackend('cpu');
  root = await tempDir();
  dataDir = join(root, 'data');
  await writeImageFolder(dataDir, 5);
});

afterAll(async () => {
  await removeDir(root);
});

/** The reference: the same run, uninterrupted, in this process. */
async function straightRun(name: string, maxSteps: number): Promise<string> {
  const dir = join(root, name);
  const run = await runTinyTraining({ dataDir, checkpointDir: dir, maxSteps });
  run.dispose();
  return join(dir, checkpointName(maxSteps));
}

async function expectSameState(a: string, b: string): Promise<void> {
  for (const file of STATE_FILES) {
    const [x, y] = await Promise.all([readFile(join(a, file)), readFile(join(b, file))]);
    expect(x.length, file).toBeGreaterThan(0);
    expect(x.equals(y), `${file} differs between ${a} and ${b}`).toBe(true);
  }
}

/** Every visible checkpoint must load completely. */
async function expectLoadable(dir: string): Promise<void> {
  for (const c of await listCheckpoints(dir)) {
    const model = new TinyConvNet();
    await loadCheckpoint(c.path, { models: { net: model } });
    expect(model.isInitialized()).toBe(true);
    model.dispose();
  }
}

describe('kill and resume (cpu, child processes)', () => {
  test('N steps straight == N/2 + SIGKILL + resume N/2: identical weights, optimizer and EMA bytes', async () => {
    const N = 8;
    const reference = await straightRun('straight-8', N);
    const dir = join(root, 'killed-8');
    const first = await runChild({ dataDir, checkpointDir: dir, maxSteps: N, checkpointEvery: N / 2 }, (line) =>
      line === `SAVE-DONE ${N / 2}` ? 0 : undefined,
    );
    expect(first.signal, first.stderr).toBe('SIGKILL');
    expect((await findLatestCheckpoint(dir))?.step).toBe(N / 2);
    const second = await runChild({ dataDir, checkpointDir: dir, maxSteps: N, checkpointEvery: N / 2 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.lines.at(-1)).toBe(`DONE ${N} ${join(dir, checkpointName(N / 2))}`);
    expect(second.lines.filter((l) => l.startsWith('STEP')).map((l) => Number(l.split(' ')[1]))).toEqual([5, 6, 7, 8]);
    await expectSameState(reference, join(dir, checkpointName(N)));
  }, 300_000);

  test('wasm with 2 threads: N steps straight == N/2 + SIGKILL + resume N/2, bit for bit', async () => {
    const N = 6;
    const wasm2 = { name: 'wasm', threads: 2 } as const;
    const straightDir = join(root, 'wasm2-straight');
    const straight = await runChild({ dataDir, checkpointDir: straightDir, maxSteps: N, checkpointEvery: N }, undefined, wasm2);
    expect(straight.code, straight.stderr).toBe(0);
    const dir = join(root, 'wasm2-killed');
    const first = await runChild({ dataDir, checkpointDir: dir, maxSteps: N, checkpointEvery: N / 2 }, (line) => (line === `SAVE-DONE ${N / 2}` ? 0 : undefined), wasm2);
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const second = await runChild({ dataDir, checkpointDir: dir, maxSteps: N, checkpointEvery: N / 2 }, undefined, wasm2);
    expect(second.code, second.stderr).toBe(0);
    expect(second.lines.filter((l) => l.startsWith('STEP')).map((l) => Number(l.split(' ')[1]))).toEqual([4, 5, 6]);
    await expectSameState(join(straightDir, checkpointName(N)), join(dir, checkpointName(N)));
  }, 300_000);

  test('SIGKILL at random moments, mid-save included, never loses the last complete checkpoint; the resumed run is exact', async () => {
    const N = 12;
    const reference = await straightRun('straight-12', N);
    const dir = join(root, 'killed-12');
    const rng = createRng(2024);
    const options = { dataDir, checkpointDir: dir, maxSteps: N, checkpointEvery: 1, keepLast: 2, slowSaveMs: 1000 };
    // 'save': SIGKILL the moment a save starts (lands inside it); 'step': a random delay after a step.
    const plan = ['step', 'save', 'save', 'step', 'save'] as const;
    let kills = 0;
    let midSave = 0;
    let latest = 0;
    for (const kind of plan) {
      if (latest >= N - 1) break;
      const target = Math.min(N - 1, latest + 1 + rng.nextInt(0, 1));
      const delay = kind === 'save' ? 0 : rng.nextInt(0, 20);
      const marker = kind === 'save' ? `SAVE-START ${target}` : `STEP ${target}`;
      const run = await runChild(options, (line) => (line === marker ? delay : undefined));
      if (run.signal !== 'SIGKILL') {
        expect(run.code, run.stderr).toBe(0);
        break;
      }
      kills++;
      const names = await readdir(dir);
      if (names.some((n) => n.startsWith('.tmp-'))) midSave++;
      const found = await findLatestCheckpoint(dir);
      expect(found, `after kill ${kills}`).toBeDefined();
      expect(found!.step).toBeGreaterThanOrEqual(latest);
      latest = found!.step;
      await expectLoadable(dir);
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(midSave, 'no kill landed inside a save').toBeGreaterThanOrEqual(1);
    const last = await runChild(options);
    expect(last.code, last.stderr).toBe(0);
    expect(last.lines.at(-1)).toMatch(new RegExp(`^DONE ${N} `));
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([N - 1, N]);
    await expectSameState(reference, join(dir, checkpointName(N)));
    console.info(`kill/resume: ${kills} kills, ${midSave} mid-save`);
  }, 600_000);
});
