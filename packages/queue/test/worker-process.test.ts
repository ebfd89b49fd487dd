import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpscaleWorker, enqueueUpscale, openUpscaleQueue, watchUpscaleBatch } from '../src/index.js';
import type { UpscaleBatchEvent } from '../src/index.js';
import { fakeProcessor, specs } from './fake-processor.js';
import { startRedis } from './redis-server.js';
import type { TestRedis } from './redis-server.js';

const FAKE_WORKER = fileURLToPath(new URL('fixtures/fake-worker.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

/** A worker process and the lines it printed so far. */
interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function startWorker(redisUrl: string, queue: string, delayMs: number, lockMs = 2000): WorkerProcess {
  const child = spawn(process.execPath, ['--import', tsx, '--conditions=source', FAKE_WORKER], {
    env: { ...process.env, REDIS_URL: redisUrl, QUEUE: queue, DELAY_MS: String(delayMs), LOCK_MS: String(lockMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    async waitForLine(pattern, timeoutMs = 60_000) {
      const start = Date.now();
      for (;;) {
        const line = lines.find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited (${child.exitCode ?? child.signalCode}) before ${pattern}: ${lines.join(' | ')} ${stderr}`);
        if (Date.now() - start > timeoutMs) throw new Error(`no line ${pattern} in ${timeoutMs} ms: ${lines.join(' | ')} ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

let redis: TestRedis;
let dir: string;
const children: ChildProcess[] = [];

describe('worker processes: killed, stopped, handed back', () => {
  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'yonos-queue-proc-'));
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await redis?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('a worker SIGKILLed in the middle of a job: the job is recovered by another worker once its lock expires', async () => {
    const queue = await openUpscaleQueue({ redis: redis.url, name: 'kill' });
    const doomed = startWorker(redis.url, 'kill', 4000, 1500);
    children.push(doomed.child);
    await doomed.waitForLine(/^ready$/);
    const batch = await enqueueUpscale(queue, specs(dir, ['k1']));
    await doomed.waitForLine(/^active /);
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBeNull();
    const rescuer = await createUpscaleWorker({ redis: redis.url, queueName: 'kill', process: fakeProcessor(50), stalledIntervalMs: 300 });
    try {
      const events: UpscaleBatchEvent[] = [];
      const outcome = await watchUpscaleBatch(queue, batch, { onEvent: (e) => events.push(e), pollMs: 300 });
      expect(outcome.completed.map((c) => c.index)).toEqual([0]);
      const types = events.map((e) => e.type).filter((t) => t !== 'progress');
      expect(events[0]).toMatchObject({ type: 'active', worker: `fake-${doomed.child.pid}` });
      expect(types.filter((t) => t === 'stalled')).toHaveLength(1);
      expect(types.at(-1)).toBe('completed');
      expect(await readFile(join(dir, 'k1.out'), 'utf8')).toBe('k1');
      const job = (await queue.bullmq.getJob(`${batch.id}-0`))!;
      expect(job.processedBy).toBe(rescuer.name);
      expect(job.stalledCounter).toBe(1);
      // The completed run is the only attempt counted: the stall used none.
      expect(job.attemptsMade).toBe(1);
    } finally {
      await rescuer.close();
      await queue.close();
    }
  });

  it('SIGTERM: the worker finishes its running job, takes no other and exits 0', async () => {
    const queue = await openUpscaleQueue({ redis: redis.url, name: 'term' });
    const w = startWorker(redis.url, 'term', 1500);
    children.push(w.child);
    try {
      await w.waitForLine(/^ready$/);
      const batch = await enqueueUpscale(queue, specs(dir, ['t1', 't2']));
      await w.waitForLine(/^active /);
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      expect(w.lines).toEqual(['ready', `active ${batch.id}-0`, 'finishing 1', `completed ${batch.id}-0`, 'closed']);
      expect(await readFile(join(dir, 't1.out'), 'utf8')).toBe('t1');
      expect(await queue.bullmq.getJobState(`${batch.id}-1`)).toBe('waiting');
    } finally {
      await queue.close();
    }
  });

  it('a second SIGTERM stops the running job and hands it back to the queue, attempts untouched', async () => {
    const queue = await openUpscaleQueue({ redis: redis.url, name: 'back' });
    const w = startWorker(redis.url, 'back', 60_000);
    children.push(w.child);
    try {
      await w.waitForLine(/^ready$/);
      const batch = await enqueueUpscale(queue, specs(dir, ['h1']));
      await w.waitForLine(/^active /);
      w.child.kill('SIGTERM');
      await w.waitForLine(/^finishing 1$/);
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      expect(w.lines).toEqual(['ready', `active ${batch.id}-0`, 'finishing 1', 'handing-back 1', `handed-back ${batch.id}-0`, 'closed']);
      const job = (await queue.bullmq.getJob(`${batch.id}-0`))!;
      expect(await job.getState()).toBe('waiting');
      expect(job.attemptsMade).toBe(0);
      expect(existsSync(join(dir, 'h1.out'))).toBe(false);
    } finally {
      await queue.close();
    }
  });
});
