/**
 * `yonos upscale` end to end on the bundled models, one wasm thread against every core: each
 * run is a fresh `yonos` process (the thread count is fixed per process), upscaling the 256x256
 * example photographs x4 and x8 into a temporary folder; the process's wall time is measured,
 * start-up and model loading included, as a user sees it. Runs alternate between the thread
 * counts so that load from other jobs falls on both alike. Not a test: numbers are printed,
 * never asserted.
 *
 *   npx tsx --conditions=source bench/upscale.bench.ts [--repeats=3] [--scales=4,8] [--threads=1,N] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'src', 'cli', 'main.ts');
const IMAGES = ['chelsea.png', 'astronaut.png'].map((f) => join(HERE, '..', '..', '..', 'examples', 'images', f));

function flag(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const repeats = Number(flag('repeats', '3'));
const scales = flag('scales', '4,8').split(',').map(Number);
const threadCounts = flag('threads', `1,${availableParallelism()}`).split(',').map(Number);
const json = process.argv.includes('--json');

interface Row {
  readonly scale: number;
  readonly threads: number;
  readonly seconds: number[];
}

function upscaleOnce(scale: number, threads: number): number {
  const out = mkdtempSync(join(tmpdir(), 'yonos-bench-upscale-'));
  try {
    const start = performance.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', CLI, '--threads', String(threads), '--backend', 'wasm', 'upscale', ...IMAGES, '-o', out, '--scale', String(scale)], {
      encoding: 'utf8',
    });
    const seconds = (performance.now() - start) / 1000;
    if (run.status !== 0) throw new Error(`yonos upscale failed (threads ${threads}, x${scale}): ${run.stderr}`);
    return seconds;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const rows: Row[] = [];
for (const scale of scales) {
  const perThreads = new Map<number, number[]>(threadCounts.map((t) => [t, []]));
  for (let r = 0; r < repeats; r++) {
    for (const threads of r % 2 === 0 ? threadCounts : [...threadCounts].reverse()) perThreads.get(threads)!.push(upscaleOnce(scale, threads));
  }
  for (const [threads, seconds] of perThreads) rows.push({ scale, threads, seconds });
}

const version = (JSON.parse(readFileSync(join(HERE, '..', 'package.json'), 'utf8')) as { version: string }).version;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores, Node ${process.version}, yonos ${version}, backend wasm`;
if (json) {
  console.log(JSON.stringify({ machine, loadavg: loadavg(), images: IMAGES.length, rows }, null, 2));
} else {
  console.log(`yonos upscale of ${IMAGES.length} 256x256 photographs (one process each run, start-up and model load included)`);
  console.log(`${machine}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('scale | threads | median s | per image s | speed-up vs 1 thread | runs (s)');
  for (const row of rows) {
    const base = rows.find((r) => r.scale === row.scale && r.threads === threadCounts[0])!;
    const m = median(row.seconds);
    console.log(
      `x${row.scale} | ${row.threads} | ${m.toFixed(2)} | ${(m / IMAGES.length).toFixed(2)} | ${(median(base.seconds) / m).toFixed(2)}x | ${row.seconds.map((s) => s.toFixed(2)).join(' ')}`,
    );
  }
}
