import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { MAX_THREADS, ThreadCountError } from '../src/index.js';
import { parseThreadCount } from '../src/backend/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'helpers', 'threads-child.ts');

interface ChildReport {
  readonly threads: number;
  readonly digest: string;
  readonly secondCall: string;
}

/** Runs the child to its natural end (no kill unless it hangs past `limitMs`). */
function runChild(threads: string, env: Record<string, string | undefined>, limitMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string; hung: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD, threads], {
      cwd: join(HERE, '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

function report(result: { stdout: string; stderr: string }): ChildReport {
  const line = result.stdout.trim().split('\n').at(-1);
  if (line === undefined || line === '') throw new Error(`child printed nothing; stderr: ${result.stderr}`);
  return JSON.parse(line) as ChildReport;
}

describe('wasm threads in Node', () => {
  test('2 threads give bit-identical forward and backward results to 1 thread, and the process exits by itself', async () => {
    const one = await runChild('1', {});
    const two = await runChild('2', {});
    expect(one.hung, one.stderr).toBe(false);
    expect(two.hung, two.stderr).toBe(false);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const r1 = report(one);
    const r2 = report(two);
    expect(r1.threads).toBe(1);
    expect(r2.threads).toBe(2);
    expect(r2.digest).toBe(r1.digest);
    // The count is fixed once the backend has started.
    expect(r1.secondCall).toBe('BackendUnavailableError');
    expect(r2.secondCall).toBe('BackendUnavailableError');
  });

  test('the default is YONOS_THREADS, else every core; a bad YONOS_THREADS is a ThreadCountError', async () => {
    expect(report(await runChild('default', { YONOS_THREADS: '3' })).threads).toBe(3);
    expect(report(await runChild('default', { YONOS_THREADS: undefined })).threads).toBe(availableParallelism());
    const bad = await runChild('default', { YONOS_THREADS: 'many' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/ThreadCountError: YONOS_THREADS must be a whole number of threads from 1 to 256, got 'many'/);
  });
});

describe('parseThreadCount', () => {
  test('accepts whole numbers from 1 to MAX_THREADS, as numbers or text', () => {
    expect(parseThreadCount(4, 'x')).toBe(4);
    expect(parseThreadCount(' 12 ', 'x')).toBe(12);
    expect(parseThreadCount(MAX_THREADS, 'x')).toBe(MAX_THREADS);
    for (const bad of [0, -1, 1.5, MAX_THREADS + 1, Number.NaN, '', '2x', '1e2', '-3']) {
      expect(() => parseThreadCount(bad, '--threads')).toThrow(ThreadCountError);
    }
    expect(() => parseThreadCount('zero', '--threads')).toThrow(/--threads must be a whole number of threads from 1 to 256, got 'zero'/);
  });
});
