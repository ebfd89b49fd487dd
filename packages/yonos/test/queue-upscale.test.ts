import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../queue/test/redis-server.js';
import type { TestRedis } from '../../queue/test/redis-server.js';
import { createUpscaleProcessor, createUpscaleWorker, InputFetchError, openUpscaleQueue } from '../src/queue/index.js';
import type { UpscaleJobContext, UpscaleJobData, UpscaleProcessor, UpscaleWorker } from '../src/queue/index.js';
import { testImage, yonos } from './helpers.js';
import { saveTinyPipeline } from './tiny-pipeline.js';

let root: string;
let model: string;
let input: string;
let redis: TestRedis;
let processor: UpscaleProcessor;
let worker: UpscaleWorker;

async function bytesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) out.set(name, await readFile(join(dir, name)));
  return out;
}

function context(overrides: Partial<UpscaleJobContext> = {}): UpscaleJobContext {
  return { jobId: 'direct', attempt: 1, restarted: false, signal: new AbortController().signal, progress: () => undefined, ...overrides };
}

describe('yonos upscale --queue with a worker (same process)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'yonos-queue-upscale-'));
    model = join(root, 'model');
    await saveTinyPipeline(model, 4);
    input = join(root, 'in');
    await mkdir(input);
    await writeImage(join(input, 'photo.jpg'), testImage(8, 8, 2), { quality: 90 });
    await writeImage(join(input, 'pic.webp'), testImage(6, 7, 3), { lossless: true });
    await writeImage(join(input, 'wide.png'), testImage(12, 5, 4));
    await writeFile(join(input, 'bad.png'), 'this is not a PNG file');
    redis = await startRedis();
    processor = createUpscaleProcessor({ backend: 'wasm' });
    worker = await createUpscaleWorker({ redis: redis.url, queueName: 'cli', process: processor.process, retryable: processor.retryable, stalledIntervalMs: 1000 });
  });

  afterAll(async () => {
    await worker?.close();
    processor?.dispose();
    await redis?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('writes the same bytes as a local run; the corrupt image fails its job with its type, not the worker', async () => {
    const local = await yonos('--backend', 'wasm', 'upscale', input, '-o', join(root, 'local'), '--model', model);
    expect(local.code).toBe(1);
    const queued = await yonos('--backend', 'wasm', 'upscale', input, '-o', join(root, 'queued'), '--model', model, '--queue', redis.url, '--queue-name', 'cli', '--progress', 'lines');
    expect(queued.code).toBe(1);
    const expected = await bytesOf(join(root, 'local'));
    expect([...expected.keys()]).toEqual(['photo_x4.jpg', 'pic_x4.webp', 'wide_x4.png']);
    expect(await bytesOf(join(root, 'queued'))).toEqual(expected);

    expect(queued.stdout).toMatch(/^Upscaled 3 images x4 into .*queued through batch [0-9a-f]{8}-4 on queue 'cli' at redis:\/\/127\.0\.0\.1:\d+: steps 1, seed 0, backend wasm, model .*model\.$/m);
    const warning = (text: string): string | undefined => text.split('\n').find((l) => l.startsWith("warning: skipped '"));
    // The same reason as the local run gives.
    expect(warning(queued.stderr)).toBe(warning(local.stderr));
    expect(warning(queued.stderr)).toMatch(/bad\.png': Cannot decode image/);
    expect(queued.stderr.trim().split('\n').at(-1)).toMatch(/^error: 1 of 4 inputs failed \(.*bad\.png; reasons above\)\. Fix or remove them and rerun the same command/);
    expect(queued.stderr.split('\n').filter((l) => / -> /.test(l))).toHaveLength(3);

    // The failure is kept in the queue with its type; no retry was spent on it.
    const batch = /batch ([0-9a-f]{8}-4)/.exec(queued.stdout)![1]!;
    const queue = await openUpscaleQueue({ redis: redis.url, name: 'cli' });
    try {
      const failed = (await queue.bullmq.getJobs(['failed'])).filter((j) => j.data.batch === batch);
      expect(failed.map((j) => [j.data.input, j.failedReason.split(':')[0], j.attemptsMade])).toEqual([[join(input, 'bad.png'), 'ImageDecodeError', 1]]);
    } finally {
      await queue.close();
    }
    expect(worker.bullmq.isRunning()).toBe(true);

    const status = await yonos('queue', 'status', '--redis', redis.url, '--queue', 'cli', '--batch', batch);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^Batch ${batch} on queue 'cli' at redis://127\\.0\\.0\\.1:\\d+ \\(4 images\\): 3 completed, 1 failed\\.\\nfailed: .*bad\\.png: ImageDecodeError: Cannot decode image .* \\(1 attempt\\)\\n$`));
  });

  it('passes every option on: seed, steps, format, quality and tile give the same bytes as locally', async () => {
    const photo = join(input, 'photo.jpg');
    const wide = join(input, 'wide.png');
    const options = ['--seed', '7', '--steps', '2', '--format', 'webp', '--quality', '80', '--tile', '32', '--model', model];
    const local = await yonos('upscale', photo, wide, '-o', join(root, 'local-opts'), ...options);
    expect(local.code).toBe(0);
    const queued = await yonos('upscale', photo, wide, '-o', join(root, 'queued-opts'), ...options, '--queue', redis.url, '--queue-name', 'cli', '--progress', 'json');
    expect(queued.code).toBe(0);
    expect(await bytesOf(join(root, 'queued-opts'))).toEqual(await bytesOf(join(root, 'local-opts')));
    // A control: another seed gives other bytes, so the comparison can fail.
    const other = await yonos('upscale', photo, '-o', join(root, 'other-seed'), ...options.slice(2), '--seed', '8', '--queue', redis.url, '--queue-name', 'cli');
    expect(other.code).toBe(0);
    expect((await readFile(join(root, 'other-seed', 'photo_x4.webp'))).equals(await readFile(join(root, 'local-opts', 'photo_x4.webp')))).toBe(false);

    const events = queued.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; index?: number });
    expect(events[0]).toMatchObject({ event: 'queued', images: 2, scale: 4 });
    expect(events.filter((e) => e.event === 'written').map((e) => e.index).sort()).toEqual([0, 1]);
    expect(events.some((e) => e.event === 'progress')).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'done', written: 2, failed: [], cancelled: [], detached: false });
  });

  it('--detach returns once enqueued; queue status and cancel see and remove the batch; usage errors exit 2', async () => {
    const detached = await yonos('upscale', input, '-o', join(root, 'detached'), '--model', model, '--queue', redis.url, '--queue-name', 'idle', '--detach');
    expect(detached.code).toBe(0);
    expect(detached.stderr).toMatch(/^note: no worker is connected to queue 'idle' yet/m);
    const batch = /as batch ([0-9a-f]{8}-4) on queue 'idle'/.exec(detached.stdout)?.[1];
    expect(batch).toBeDefined();
    expect(detached.stdout).toMatch(/^Queued 4 images x4 for .*detached as batch .*: 'yonos queue status --redis redis:\/\/127\.0\.0\.1:\d+ --queue idle --batch [0-9a-f-]+' shows it/);
    // The corrupt file is a job like any other: only a worker reads the images.
    const status = await yonos('queue', 'status', '--redis', redis.url, '--queue', 'idle', '--batch', batch!, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ batch, size: 4, counts: { waiting: 4 } });
    const all = await yonos('queue', 'status', '--redis', redis.url, '--queue', 'idle');
    expect(all.stdout).toMatch(/^Queue 'idle' at redis:\/\/127\.0\.0\.1:\d+: 0 workers connected; 4 waiting, 0 active, 0 delayed \(retries\), 0 completed, 0 failed\.$/m);
    const cancel = await yonos('queue', 'cancel', '--redis', redis.url, '--queue', 'idle', '--batch', batch!);
    expect(cancel.stdout).toMatch(/^Cancelled batch [0-9a-f-]+: removed 4 jobs no worker had taken; 0 running will finish; 0 had finished already\.$/m);
    const gone = await yonos('queue', 'status', '--redis', redis.url, '--queue', 'idle', '--batch', batch!);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: No job of batch .* is in the queue 'idle'/);

    expect((await yonos('upscale', input, '--detach')).stderr).toMatch(/^error: --detach needs --queue redis:\/\/host:port/);
    expect((await yonos('upscale', input, '--detach')).code).toBe(2);
    expect((await yonos('upscale', input, '--queue', 'localhost:6379')).code).toBe(2);
    expect((await yonos('worker', '--redis', 'http://localhost')).code).toBe(2);
    expect((await yonos('worker')).stderr).toMatch(/--redis is required/);
    expect((await yonos('queue', 'cancel', '--redis', redis.url)).code).toBe(2);
    const down = await yonos('queue', 'status', '--redis', 'redis://127.0.0.1:1');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: Cannot reach Redis at redis:\/\/127\.0\.0\.1:1: /);
  });

  it('the processor reads URL inputs, removes what a killed run left, keeps bad jobs typed and leaks no tensors', async () => {
    const photo = await readFile(join(input, 'photo.jpg'));
    const server: Server = createServer((req, res) => {
      if (req.url === '/photos/photo.jpg') res.end(photo);
      else res.writeHead(req.url === '/busy.jpg' ? 503 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const before = tf.memory().numTensors;
    const own = createUpscaleProcessor({ backend: 'wasm' });
    try {
      const out = join(root, 'url');
      const output = join(out, 'photo_x4.jpg');
      await mkdir(out);
      // Left by a worker killed while writing, and a file that is not one of those.
      await writeFile(`${output}.1.0badc0de.tmp`, 'partial');
      await writeFile(join(out, 'notes.tmp'), 'keep');
      const job: UpscaleJobData = { input: `http://127.0.0.1:${port}/photos/photo.jpg`, output, options: { scale: 4, steps: 1, seed: 0, format: 'jpeg', quality: 95, model }, batch: 'direct', index: 0 };
      const progress: string[] = [];
      const result = await own.process(job, context({ restarted: true, progress: (p) => progress.push(p.stage) }));
      expect(result).toMatchObject({ output, width: 32, height: 32, channels: 3, backend: 'wasm' });
      expect(progress).toContain('decode');
      expect((await readFile(output)).equals(await readFile(join(root, 'local', 'photo_x4.jpg')))).toBe(true);
      expect((await readdir(out)).sort()).toEqual(['notes.tmp', 'photo_x4.jpg']);

      const missing = own.process({ ...job, input: `http://127.0.0.1:${port}/gone.jpg` }, context());
      await expect(missing).rejects.toThrow(InputFetchError);
      await expect(missing).rejects.toThrow(/answered 404 Not Found\. Check the URL\./);
      expect(own.retryable(await missing.catch((e: unknown) => e))).toBe(false);
      expect(own.retryable(await own.process({ ...job, input: `http://127.0.0.1:${port}/busy.jpg` }, context()).catch((e: unknown) => e))).toBe(true);
      const noModel = await own.process({ ...job, options: { ...job.options, model: join(root, 'nowhere') } }, context()).catch((e: unknown) => e);
      expect(noModel).toMatchObject({ name: 'ModelNotFoundError' });
      expect(own.retryable(noModel)).toBe(false);
      const wrongScale = await own.process({ ...job, options: { ...job.options, scale: 8 } }, context()).catch((e: unknown) => e);
      expect((wrongScale as Error).message).toMatch(/--scale 8 does not match the model, which upscales x4/);
    } finally {
      own.dispose();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
