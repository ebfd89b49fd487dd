import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelUpscaleBatch,
  createUpscaleWorker,
  enqueueUpscale,
  openUpscaleQueue,
  QueueConnectionError,
  UnknownBatchError,
  upscaleBatchStatus,
  UpscaleJobDataError,
  upscaleQueueStatus,
  watchUpscaleBatch,
} from '../src/index.js';
import type { UpscaleBatchEvent, UpscaleQueue, UpscaleWorker, UpscaleWorkerEvent } from '../src/index.js';
import { fakeProcessor, specs, starts } from './fake-processor.js';
import { freePort, startRedis } from './redis-server.js';
import type { TestRedis } from './redis-server.js';

let redis: TestRedis;
let dir: string;
let queues = 0;

/** A fresh queue name per test, so tests never see each other's jobs. */
function queueName(): string {
  return `test-${++queues}`;
}

async function withQueue<T>(name: string, run: (queue: UpscaleQueue) => Promise<T>): Promise<T> {
  const queue = await openUpscaleQueue({ redis: redis.url, name });
  try {
    return await run(queue);
  } finally {
    await queue.close();
  }
}

function worker(name: string, delayMs: number, events: UpscaleWorkerEvent[] = []): Promise<UpscaleWorker> {
  return createUpscaleWorker({ redis: redis.url, queueName: name, process: fakeProcessor(delayMs), stalledIntervalMs: 1000, onEvent: (e) => events.push(e) });
}

describe('@yonos/queue on a real Redis', () => {
  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'yonos-queue-'));
  });

  afterAll(async () => {
    await redis?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('enqueues a batch; a worker computes it; the watcher reports active, progress and the results in order', async () => {
    const name = queueName();
    const w = await worker(name, 40);
    try {
      await withQueue(name, async (queue) => {
        const batch = await enqueueUpscale(queue, specs(dir, ['a1', 'a2', 'a3']));
        expect(batch.id).toMatch(/^[0-9a-f]{8}-3$/);
        expect(batch.jobIds).toEqual([0, 1, 2].map((i) => `${batch.id}-${i}`));
        const events: UpscaleBatchEvent[] = [];
        const outcome = await watchUpscaleBatch(queue, batch, { onEvent: (e) => events.push(e), pollMs: 500 });
        expect(outcome.completed.map((c) => c.index)).toEqual([0, 1, 2]);
        expect(outcome.failed).toEqual([]);
        expect(outcome.completed[1]!.result).toMatchObject({ output: `${dir}/a2.out`, backend: 'fake' });
        for (const n of ['a1', 'a2', 'a3']) expect(await readFile(join(dir, `${n}.out`), 'utf8')).toBe(n);
        for (const index of [0, 1, 2]) {
          const mine = events.filter((e) => e.index === index).map((e) => e.type);
          expect(mine.at(-1)).toBe('completed');
          expect(mine.filter((t) => t === 'completed')).toHaveLength(1);
        }
        expect(events.some((e) => e.type === 'progress' && e.progress.stage === 'denoise')).toBe(true);
        expect(events.find((e) => e.type === 'active')).toMatchObject({ worker: w.name, attempt: 1 });
        const status = await upscaleQueueStatus(queue);
        expect(status).toMatchObject({ name, workers: 1, paused: false, counts: { completed: 3, failed: 0, waiting: 0 } });
        expect((await upscaleBatchStatus(queue, batch.id)).counts).toMatchObject({ completed: 3, missing: 0 });
      });
    } finally {
      await w.close();
    }
  });

  it("a typed error fails its job at once, kept with its class name; bad job data fails its job; the worker goes on", async () => {
    const name = queueName();
    const workerEvents: UpscaleWorkerEvent[] = [];
    const w = await worker(name, 10, workerEvents);
    try {
      await withQueue(name, async (queue) => {
        // Data no producer of this package would write: the worker must fail that job, not crash.
        await queue.bullmq.add('upscale', { input: 'relative.png', output: '/tmp/x.png' } as never, { jobId: 'not-a-job' });
        const batch = await enqueueUpscale(queue, specs(dir, ['b-ok1', 'bad-image', 'b-ok2']), { attempts: 3, backoffMs: 10 });
        const outcome = await watchUpscaleBatch(queue, batch, { pollMs: 500 });
        expect(outcome.completed.map((c) => c.index)).toEqual([0, 2]);
        expect(outcome.failed).toHaveLength(1);
        const { error } = outcome.failed[0]!;
        expect(error).toMatchObject({ errorName: 'FakeDecodeError', attempts: 1, input: '/in/bad-image', jobId: `${batch.id}-1` });
        expect(error.reason).toBe("Cannot decode image '/in/bad-image'");
        expect((await queue.bullmq.getJob(`${batch.id}-1`))!.failedReason).toBe("FakeDecodeError: Cannot decode image '/in/bad-image'");
        expect(starts.get('bad-image')).toHaveLength(1);

        const status = await upscaleBatchStatus(queue, batch.id);
        expect(status.counts).toMatchObject({ completed: 2, failed: 1 });
        expect(status.failures.map((f) => f.errorName)).toEqual(['FakeDecodeError']);

        const stray = (await queue.bullmq.getJob('not-a-job'))!;
        expect(await stray.getState()).toBe('failed');
        expect(stray.failedReason).toMatch(/^UpscaleJobDataError: Not an upscale job: /);
        expect(workerEvents.filter((e) => e.type === 'failed').map((e) => e.type === 'failed' && e.retrying)).toEqual([false, false]);
        expect(w.bullmq.isRunning()).toBe(true);
      });
    } finally {
      await w.close();
    }
  });

  it('retries other errors with exponential backoff, and fails the job once its attempts are used up', async () => {
    const name = queueName();
    const w = await worker(name, 10);
    try {
      await withQueue(name, async (queue) => {
        // flaky2 fails twice and then works; flaky5 fails on every one of its 3 attempts.
        const batch = await enqueueUpscale(queue, specs(dir, ['flaky2-a', 'flaky5-b']), { attempts: 3, backoffMs: 300 });
        const events: UpscaleBatchEvent[] = [];
        const outcome = await watchUpscaleBatch(queue, batch, { onEvent: (e) => events.push(e), pollMs: 200 });
        expect(outcome.completed.map((c) => c.job.input)).toEqual(['/in/flaky2-a']);
        expect(outcome.failed.map((f) => [f.job.input, f.error.errorName, f.error.reason, f.error.attempts])).toEqual([['/in/flaky5-b', 'Error', 'flaky attempt 3', 3]]);
        expect(events.filter((e) => e.type === 'retrying' && e.index === 0).map((e) => e.type === 'retrying' && e.error.reason)).toEqual(['flaky attempt 1', 'flaky attempt 2']);
        for (const input of ['flaky2-a', 'flaky5-b']) {
          const [t0, t1, t2] = starts.get(input)!;
          // Backoff 300 ms, then 600 ms.
          expect(t1! - t0!).toBeGreaterThanOrEqual(300);
          expect(t2! - t1!).toBeGreaterThanOrEqual(600);
          expect(starts.get(input)).toHaveLength(3);
        }
      });
    } finally {
      await w.close();
    }
  });

  it('cancel removes the jobs no worker has taken; the watcher reports them cancelled', async () => {
    const name = queueName();
    await withQueue(name, async (queue) => {
      const batch = await enqueueUpscale(queue, specs(dir, ['c1', 'c2', 'c3']));
      expect((await upscaleBatchStatus(queue, batch.id)).counts).toMatchObject({ waiting: 3 });
      const watching = watchUpscaleBatch(queue, batch, { pollMs: 200 });
      expect(await cancelUpscaleBatch(queue, batch.id)).toEqual({ removed: 3, running: 0, finished: 0 });
      const outcome = await watching;
      expect(outcome.cancelled.map((c) => c.index)).toEqual([0, 1, 2]);
      await expect(upscaleBatchStatus(queue, batch.id)).rejects.toThrow(UnknownBatchError);
      await expect(cancelUpscaleBatch(queue, 'nonsense')).rejects.toThrow(/is not a batch id/);
    });
  });

  it('a Redis restart in the middle of a batch loses nothing: the worker and the watcher reconnect', async () => {
    const name = queueName();
    const w = await worker(name, 150);
    try {
      await withQueue(name, async (queue) => {
        const names = Array.from({ length: 10 }, (_, i) => `r${i}`);
        const batch = await enqueueUpscale(queue, specs(dir, names));
        let restarted: Promise<void> | undefined;
        let completedBefore = -1;
        let completed = 0;
        const outcome = await watchUpscaleBatch(queue, batch, {
          pollMs: 300,
          onEvent: (e) => {
            if (e.type !== 'completed') return;
            completed++;
            if (completed === 3 && restarted === undefined) {
              completedBefore = completed;
              restarted = redis.restart(1000);
            }
          },
        });
        await restarted;
        expect(completedBefore).toBe(3);
        expect(outcome.completed.map((c) => c.index)).toEqual(names.map((_, i) => i));
        for (const n of names) expect(await readFile(join(dir, `${n}.out`), 'utf8')).toBe(n);
        expect((await upscaleBatchStatus(queue, batch.id)).counts).toMatchObject({ completed: 10 });
      });
    } finally {
      await w.close();
    }
  });

  it('close() finishes the running job and takes no other; handBack() stops it and returns it to the queue', async () => {
    const name = queueName();
    await withQueue(name, async (queue) => {
      const batch = await enqueueUpscale(queue, specs(dir, ['g1', 'g2']));
      const events: UpscaleWorkerEvent[] = [];
      const graceful = await worker(name, 1500, events);
      await waitFor(() => events.some((e) => e.type === 'active'));
      await graceful.close();
      expect(events.map((e) => e.type)).toEqual(['ready', 'active', 'completed']);
      expect(existsSync(join(dir, 'g1.out'))).toBe(true);
      expect(await queue.bullmq.getJobState(`${batch.id}-1`)).toBe('waiting');

      const handing: UpscaleWorkerEvent[] = [];
      const rude = await worker(name, 60_000, handing);
      await waitFor(() => handing.some((e) => e.type === 'active'));
      const t0 = Date.now();
      await rude.handBack();
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(handing.map((e) => e.type)).toEqual(['ready', 'active', 'handed-back']);
      const job = (await queue.bullmq.getJob(`${batch.id}-1`))!;
      expect(await job.getState()).toBe('waiting');
      expect(job.attemptsMade).toBe(0);
      expect(existsSync(join(dir, 'g2.out'))).toBe(false);

      const next: UpscaleWorkerEvent[] = [];
      const finisher = await worker(name, 10, next);
      try {
        const outcome = await watchUpscaleBatch(queue, batch, { pollMs: 200 });
        expect(outcome.completed.map((c) => c.index)).toEqual([0, 1]);
        expect(next.find((e) => e.type === 'active')).toMatchObject({ attempt: 1, restarted: true });
      } finally {
        await finisher.close();
      }
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });

  it('reports a wrong address or a server that is down before anything else, and rejects bad job specs', async () => {
    await expect(openUpscaleQueue({ redis: 'http://localhost:6379' })).rejects.toThrow(/is not a Redis URL: pass redis:\/\/host:port/);
    const port = await freePort();
    const down = openUpscaleQueue({ redis: `redis://user:secret@127.0.0.1:${port}`, connectTimeoutMs: 2000 });
    await expect(down).rejects.toThrow(QueueConnectionError);
    await expect(down).rejects.toThrow(new RegExp(`^Cannot reach Redis at redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}: `));
    await expect(createUpscaleWorker({ redis: redis.url, queueName: 'a:b', process: fakeProcessor(1) })).rejects.toThrow(/cannot be a queue name/);
    await withQueue(queueName(), async (queue) => {
      const [spec] = specs(dir, ['x']);
      await expect(enqueueUpscale(queue, [{ ...spec!, output: 'relative.png' }])).rejects.toThrow(UpscaleJobDataError);
      await expect(enqueueUpscale(queue, [{ ...spec!, options: { ...spec!.options, steps: 0 } }])).rejects.toThrow(/options\.steps/);
      expect((await upscaleQueueStatus(queue)).counts.waiting).toBe(0);
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
