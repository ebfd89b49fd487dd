import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../queue/test/redis-server.js';
import type { TestRedis } from '../../queue/test/redis-server.js';
import { openUpscaleQueue } from '../src/queue/index.js';
import { testImage, yonos } from './helpers.js';
import { saveTinyPipeline } from './tiny-pipeline.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const IMAGES = 16;

/** A `yonos worker` child process and what it printed so far. */
interface WorkerProcess {
  readonly child: ChildProcess;
  stderr(): string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first stderr line matching `pattern` once `count` such lines are there. */
  waitFor(pattern: RegExp, count?: number, timeoutMs?: number): Promise<string>;
}

function startWorker(redisUrl: string, name: string): WorkerProcess {
  const args = ['--import', tsx, '--conditions=source', 'src/cli/main.ts', '--backend', 'wasm', '--threads', '1', 'worker', '--redis', redisUrl, '--queue', 'many', '--name', name, '--lock-duration', '3000', '--stalled-interval', '500'];
  const child = spawn(process.execPath, args, { cwd: packageDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => text,
    exited,
    async waitFor(pattern, count = 1, timeoutMs = 120_000) {
      const start = Date.now();
      for (;;) {
        const lines = text.split('\n').filter((l) => pattern.test(l));
        if (lines.length >= count) return lines[count - 1]!;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker ${name} exited before ${pattern}: ${text}`);
        if (Date.now() - start > timeoutMs) throw new Error(`worker ${name}: no ${pattern} in ${timeoutMs} ms: ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

let root: string;
let redis: TestRedis;
const workers: WorkerProcess[] = [];

describe('yonos worker processes', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'yonos-queue-workers-'));
    redis = await startRedis();
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it(`2 workers, ${IMAGES} images, one worker SIGKILLed mid-job: every output is written once, equal to a local run; SIGTERM stops the other`, async () => {
    const a = startWorker(redis.url, 'A');
    const b = startWorker(redis.url, 'B');
    workers.push(a, b);
    const model = join(root, 'model');
    await saveTinyPipeline(model, 4);
    const input = join(root, 'in');
    await mkdir(input);
    for (let i = 0; i < IMAGES; i++) await writeImage(join(input, `img${String(i).padStart(2, '0')}.png`), testImage(20, 16, i));
    const local = await yonos('upscale', input, '-o', join(root, 'local'), '--model', model);
    expect(local.code).toBe(0);
    await Promise.all([a.waitFor(/^worker A ready/), b.waitFor(/^worker B ready/)]);

    const queued = yonos('upscale', input, '-o', join(root, 'queued'), '--model', model, '--queue', redis.url, '--queue-name', 'many', '--progress', 'json');
    // A's second job: its model is loaded, so the kill lands while the image is computed.
    const line = await a.waitFor(/^job [0-9a-f]{8}-\d+-\d+: /, 2);
    a.child.kill('SIGKILL');
    const killedJob = /^job ([0-9a-f-]+):/.exec(line)![1]!;
    const killedIndex = Number(killedJob.split('-').at(-1));
    expect(await a.exited).toBeNull();

    const run = await queued;
    expect(run.code).toBe(0);
    // With --progress json, stderr holds only the summary.
    expect(run.stderr).toMatch(new RegExp(`^Upscaled ${IMAGES} images x4 into .*queued through batch [0-9a-f]{8}-${IMAGES} on queue 'many' .*: steps 1, seed 0, backend wasm, model .*\\.\\n$`));
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; index?: number; worker?: string });
    // The killed job went back to the queue and B computed it.
    const killed = events.filter((e) => e.index === killedIndex && e.event !== 'progress').map((e) => [e.event, e.worker]);
    expect(killed[0]).toEqual(['active', 'A']);
    expect(killed.filter(([event]) => event === 'stalled')).toHaveLength(1);
    expect(killed.at(-1)).toEqual(['written', undefined]);
    const queue = await openUpscaleQueue({ redis: redis.url, name: 'many' });
    try {
      const job = (await queue.bullmq.getJob(killedJob))!;
      expect([job.processedBy, job.stalledCounter, await job.getState()]).toEqual(['B', 1, 'completed']);
    } finally {
      await queue.close();
    }
    expect(events.filter((e) => e.event === 'written')).toHaveLength(IMAGES);
    expect(events.at(-1)).toMatchObject({ event: 'done', written: IMAGES, failed: [], cancelled: [] });
    const names = (await readdir(join(root, 'local'))).sort();
    expect(names).toHaveLength(IMAGES);
    // Exactly the outputs: no temporary file of the killed write is left.
    expect((await readdir(join(root, 'queued'))).sort()).toEqual(names);
    for (const name of names) expect((await readFile(join(root, 'queued', name))).equals(await readFile(join(root, 'local', name))), name).toBe(true);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.stderr()).toMatch(/^stopping: finishing 0 running jobs, taking no more/m);
    expect(b.stderr()).toMatch(new RegExp(`^worker B stopped: \\d+ images written, 0 failed\\.$`, 'm'));
  }, 300_000);
});
