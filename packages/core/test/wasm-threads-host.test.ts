import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { BackendUnavailableError } from '../src/index.js';
import { installNodeWasmThreads } from '../src/backend/wasm-threads-node.js';
import type { WasmThreadsHost } from '../src/backend/wasm-threads-node.js';

const CORE = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(CORE, 'src', 'backend', 'wasm-threads-node.ts');

/** The specifiers a source file loads at run time (`import type` is erased, so left out). */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
    if (m[1] === undefined) specifiers.push(m[2]!);
  }
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) specifiers.push(m[1]!);
  return specifiers;
}

/** Every bare specifier reached from `entry` through relative run-time imports. */
function bareImportsReached(entry: string): string[] {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const s of runtimeImports(file)) {
      if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
      else bare.add(s);
    }
  };
  visit(entry);
  return [...bare].sort();
}

/** A stand-in tfjs copy: its wasm backend's files resolve under `root`. */
function fakeHost(root: string, flags: Map<string, boolean>, missing = false): WasmThreadsHost {
  const find = (id: string) => {
    if (missing) throw new Error(`Cannot find module '${id}'`);
    return `${root}/node_modules/${id}`;
  };
  const load = (id: string) => {
    find(id);
    return { wasmWorkerContents: '"use strict";' };
  };
  const require = Object.assign(load, { resolve: find }) as unknown as NodeJS.Require;
  return {
    require,
    env: {
      set: (flag, value) => {
        flags.set(flag, value);
      },
    },
  };
}

describe('@yonos/core/wasm-threads', () => {
  afterAll(() => {
    delete (globalThis as { Worker?: unknown }).Worker;
  });

  test('loads no tfjs of its own: its module graph imports only node: builtins at run time', () => {
    const bare = bareImportsReached(ENTRY);
    expect(bare.length).toBeGreaterThan(0);
    expect(bare.filter((s) => !s.startsWith('node:'))).toEqual([]);
    // The control: core's Node entry, which wraps it for YONOS's own tfjs, does load tfjs.
    expect(bareImportsReached(join(CORE, 'src', 'backend', 'node.ts'))).toContain('@tensorflow/tfjs-core');
  });

  test('is the package subpath @yonos/core/wasm-threads', () => {
    const manifest = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    expect(manifest.exports['./wasm-threads']).toEqual({
      source: './src/backend/wasm-threads-node.ts',
      types: './dist/backend/wasm-threads-node.d.ts',
      default: './dist/backend/wasm-threads-node.js',
    });
  });

  test("runs one tfjs copy's threaded build per process: the same copy again only sets its flag, another copy is refused", () => {
    const flags = new Map<string, boolean>();
    expect(() => installNodeWasmThreads(fakeHost('/copy-a', flags, true))).toThrow(
      /Backend 'wasm' is unavailable: the threaded build of @tensorflow\/tfjs-backend-wasm could not be found \(Cannot find module/,
    );
    expect(flags.size).toBe(0);

    installNodeWasmThreads(fakeHost('/copy-a', flags));
    expect(flags.get('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(true);
    const Worker = (globalThis as { Worker?: unknown }).Worker;
    expect(typeof Worker).toBe('function');
    // Emscripten assigns worker_threads' Worker to the global each time its factory runs.
    (globalThis as { Worker?: unknown }).Worker = class Other {};
    expect((globalThis as { Worker?: unknown }).Worker).toBe(Worker);

    const again = new Map<string, boolean>();
    installNodeWasmThreads(fakeHost('/copy-a', again));
    expect(again.get('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(true);

    const other = new Map<string, boolean>();
    let error: unknown;
    try {
      installNodeWasmThreads(fakeHost('/copy-b', other));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/another copy of @tensorflow\/tfjs-backend-wasm \(\/copy-a\/.*\) already runs threaded in this process/);
    expect(other.size).toBe(0);
  });
});
