/**
 * Upscaling through the Redis queue with several `yonos worker` processes: a local
 * `redis-server` on a free loopback port, workers started as a user would
 * (`yonos --backend wasm --threads T worker`), the bundled x4 model, and a batch of center crops
 * of the example photographs (`--size` pixels square, each photo several times) enqueued with
 * `enqueueUpscale` and followed with `watchUpscaleBatch`. Configurations are `<workers>x<threads>`:
 * by default 1 worker of 1 thread, 2 workers of 1 thread, and 1 worker of 2 threads. Each worker
 * first computes one warm-up image (model load, wasm compile), then the batch is timed from
 * enqueue to its last image: images per second and the speed-up over the first configuration.
 * Runs alternate the order of the configurations when repeated. Not a test: numbers are
 * printed, never asserted. Needs `redis-server` (scripts/setup.sh installs it).
 *
 *   npx tsx --conditions=source bench/queue-workers.bench.ts [--images=6] [--size=128] [--repeats=1] [--configs=1x1,2x1,1x2] [--json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readImage, writeImage } from '@yonos/core/node';
import { startRedis } from '../../queue/test/redis-server.js';
import { enqueueUpscale, openUpscaleQueue, watchUpscaleBatch } from '../src/queue/index.js';
import type { UpscaleJobSpec, UpscaleQueue } from '../src/queue/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'src', 'cli', 'main.ts');
const PHOTOS = ['chelsea.png', 'astronaut.png'].map((f) => join(HERE, '..', '..', '..', 'examples', 'images', f));

function flag(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const images = Number(flag('images', '6'));
const size = Number(flag('size', '128'));
const repeats = Number(flag('repeats', '1'));
const configs = flag('configs', '1x1,2x1,1x2').split(',').map((c) => {
  const [workers, threads] = c.split('x').map(Number);
  return { workers: workers!, threads: threads! };
});
const json = process.argv.includes('--json');

/** Center crops of the photographs, `size` pixels square, written as PNG into `dir`. */
async function crops(dir: string): Promise<string[]> {
  return Promise.all(PHOTOS.map(async (photo, i) => {
    const image = await readImage(photo);
    const c = image.channels;
    const x0 = (image.width - size) >> 1;
    const y0 = (image.height - size) >> 1;
    const data = new Uint8Array(size * size * c);
    for (let y = 0; y < size; y++) data.set(image.data.subarray(((y0 + y) * image.width + x0) * c, ((y0 + y) * image.width + x0 + size) * c), y * size * c);
    const path = join(dir, `crop${i}.png`);
    await writeImage(path, { data, width: size, height: size, channels: c, bitDepth: 8 });
    return path;
  }));
}

function startWorker(redis: string, queue: string, name: string, threads: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CLI, '--backend', 'wasm', '--threads', String(threads), 'worker', '--redis', redis, '--queue', queue, '--name', name], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes(`worker ${name} ready`)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}: ${text}`)));
  });
}

async function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  })));
}

function specs(inputs: readonly string[], out: string, count: number, tag: string): UpscaleJobSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    input: inputs[i % inputs.length]!,
    output: join(out, `${tag}-${i}_x4.png`),
    options: { scale: 4, steps: 1, seed: 0, format: 'png' as const, quality: 95, backend: 'wasm' as const },
  }));
}

async function runBatch(queue: UpscaleQueue, jobs: UpscaleJobSpec[]): Promise<number> {
  const start = performance.now();
  const batch = await enqueueUpscale(queue, jobs, { attempts: 1 });
  const outcome = await watchUpscaleBatch(queue, batch, { pollMs: 1000 });
  const seconds = (performance.now() - start) / 1000;
  if (outcome.completed.length !== jobs.length) throw new Error(`${outcome.failed.length} jobs failed: ${outcome.failed.map((f) => f.error.message).join('; ')}`);
  return seconds;
}

interface Row {
  readonly workers: number;
  readonly threads: number;
  readonly seconds: number[];
}

const redis = await startRedis();
const out = mkdtempSync(join(tmpdir(), 'yonos-bench-queue-'));
const rows: Row[] = configs.map((c) => ({ ...c, seconds: [] }));
const loadBefore = loadavg();
try {
  const inputs = await crops(out);
  for (let r = 0; r < repeats; r++) {
    for (const row of r % 2 === 0 ? rows : [...rows].reverse()) {
      const queueName = `bench-${row.workers}x${row.threads}-${r}`;
      const children = await Promise.all(Array.from({ length: row.workers }, (_, i) => startWorker(redis.url, queueName, `w${i}`, row.threads)));
      const queue = await openUpscaleQueue({ redis: redis.url, name: queueName });
      try {
        // One image per worker first: each loads the model and compiles wasm before the timed batch.
        await runBatch(queue, specs(inputs, out, row.workers, `warm-${queueName}`));
        row.seconds.push(await runBatch(queue, specs(inputs, out, images, queueName)));
      } finally {
        await queue.close();
        await stopWorkers(children);
      }
    }
  }
} finally {
  await redis.stop();
  rmSync(out, { recursive: true, force: true });
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const version = (JSON.parse(readFileSync(join(HERE, '..', 'package.json'), 'utf8')) as { version: string }).version;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} logical cores, Node ${process.version}, yonos ${version}, backend wasm`;
const base = rows[0]!;
if (json) {
  console.log(JSON.stringify({ machine, loadavg: { before: loadBefore, after: loadavg() }, images, rows }, null, 2));
} else {
  console.log(`yonos worker processes on a local Redis queue: ${images} images of ${size}x${size} x4 per batch (bundled model), timed from enqueue to the last image`);
  console.log(`${machine}; load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`workers x threads | median s | images/s | speed-up vs ${base.workers}x${base.threads} | runs (s)`);
  for (const row of rows) {
    const m = median(row.seconds);
    console.log(`${row.workers}x${row.threads} | ${m.toFixed(2)} | ${(images / m).toFixed(3)} | ${(median(base.seconds) / m).toFixed(2)}x | ${row.seconds.map((s) => s.toFixed(2)).join(' ')}`);
  }
}
