// Runs test/helpers/train-child.ts in a separate Node process (TypeScript through tsx's loader,
// `@yonos/core` resolved to its sources) and lets the caller SIGKILL it at a chosen moment.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TinyRunOptions } from './tiny-run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = join(HERE, '..', '..');
const CHILD = join(HERE, 'train-child.ts');

/** The backend the child trains on: cpu (default), or wasm with a fixed thread count. */
export interface ChildBackend {
  readonly name: 'cpu' | 'wasm';
  readonly threads?: number;
}

export interface ChildResult {
  readonly lines: string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Starts the child and resolves when it exits. `killOn(line)` is called for each stdout line;
 * when it returns a number, the child gets SIGKILL after that many milliseconds (0: at once).
 * The node process itself is the child (no wrapper), so the kill hits the trainer.
 */
export function runChild(
  options: TinyRunOptions,
  killOn?: (line: string) => number | undefined,
  backend: ChildBackend = { name: 'cpu' },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD, JSON.stringify(options), JSON.stringify(backend)], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let stderr = '';
    let pending = '';
    let killing = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        const delay = killing ? undefined : killOn?.(line);
        if (delay !== undefined) {
          killing = true;
          if (delay <= 0) child.kill('SIGKILL');
          else setTimeout(() => child.kill('SIGKILL'), delay);
        }
      }
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ lines, code, signal, stderr }));
  });
}
