import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { YonosError } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPreview } from '../src/cli/commands/info.js';
import type { InfoReport } from '../src/cli/commands/info.js';
import { describeError } from '../src/cli/errors.js';
import { REPORTED_PACKAGES } from '../src/cli/versions.js';
import { yonos, yonosWith } from './helpers.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'yonos-cli-info-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('yonos command', () => {
  it('prints help for the program and for every command, with exit code 0', async () => {
    const root = await yonos('--help');
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/Usage: yonos/);
    expect(root.stdout).toMatch(/--backend <name>/);
    for (const command of ['info', 'degrade']) {
      expect(root.stdout).toContain(command);
      const help = await yonos(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: yonos ${command}`);
      expect(await yonos('help', command)).toMatchObject({ code: 0, stdout: help.stdout });
    }
    const degrade = await yonos('degrade', '--help');
    for (const option of ['--out', '--scale', '--pipeline', '--seed', 'realesrgan']) {
      expect(degrade.stdout).toContain(option);
    }
  });

  it('prints its version', async () => {
    const run = await yonos('--version');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('reports usage errors in one line with a hint, exit code 2', async () => {
    for (const args of [['--frobnicate'], ['--backend', 'gpu9000', 'info'], ['degrade', 'folder'], ['nonsense']]) {
      const run = await yonos(...args);
      expect(run.code).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[1]).toBe('(run with --help for usage)');
    }
    expect((await yonos('degrade', 'folder')).stderr).toContain("'-o, --out <folder>' not specified");
  });

  it('--threads takes a whole number from 1 to 256 on every command', async () => {
    for (const bad of ['0', 'two', '1.5', '999']) {
      const run = await yonos('--threads', bad, 'info');
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe(`error: --threads must be a whole number of threads from 1 to 256, got '${bad}'.`);
    }
    const run = await yonos('--threads', '1', 'info', '--json');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as InfoReport).backends.find((b) => b.name === 'wasm')?.threads).toBe(1);
  });

  it('without a command, shows the help on stderr and fails', async () => {
    const run = await yonos();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: yonos');
  });

  it('info lists package versions, every backend with a reason when unavailable, and the missing model', async () => {
    const empty = join(tmp, 'empty');
    await mkdir(empty);
    const run = await yonosWith({ bundledModelRoot: empty }, 'info');
    expect(run.code).toBe(0);
    for (const name of REPORTED_PACKAGES) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name.replace('/', '\\/')}\\s+\\d+\\.\\d+\\.\\d+$`, 'm'));
    }
    expect(run.stdout).toMatch(/^ {2}cpu\s+available$/m);
    // Test forks run wasm on one thread (YONOS_THREADS=1, vitest.shared.ts).
    expect(run.stdout).toMatch(/^ {2}wasm\s+available, 1 thread \(--threads <n> or YONOS_THREADS\)$/m);
    expect(run.stdout).toMatch(/^ {2}webgl\s+unavailable: .+/m);
    expect(run.stdout).toMatch(/Backends \(default: wasm;/);
    expect(run.stdout).toContain(`Bundled model: none installed yet (pipeline folders x4/, x8/, ... with a model_index.json would be read from ${empty}).`);
    expect(run.stdout).not.toContain('Model card');

    const json = await yonosWith({ bundledModelRoot: empty }, 'info', '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as InfoReport;
    expect(report.packages.map((p) => p.name)).toEqual([...REPORTED_PACKAGES, '@tensorflow/tfjs-core']);
    expect(report.backends.map((b) => b.name)).toEqual(['cpu', 'wasm', 'webgpu', 'webgl', 'tensorflow']);
    expect(report.defaultBackend).toBe('wasm');
    expect(report.backends.find((b) => b.name === 'wasm')?.threads).toBe(1);
    expect(report.modelRoot).toBe(empty);
    expect(report.bundledScales).toEqual([]);
    expect(report.modelCard).toBeNull();
  });

  it('info lists the bundled scales and the first lines of the model card', async () => {
    const bundle = join(tmp, 'bundle');
    for (const scale of [8, 4]) {
      await mkdir(join(bundle, `x${scale}`), { recursive: true });
      await writeFile(join(bundle, `x${scale}`, 'model_index.json'), '{}');
    }
    await mkdir(join(bundle, 'x2')); // not a model: no index
    const body = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    const card = ['---', 'license: apache-2.0', '---', '', '# YONOS-SR x4 and x8', '', ...body, ''].join('\n');
    await writeFile(join(bundle, 'README.md'), card);

    const run = await yonosWith({ bundledModelRoot: bundle }, 'info');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const start = lines.findIndex((l) => l.startsWith('Bundled model:'));
    expect(lines.slice(start, start + 11)).toEqual([
      `Bundled model: x4, x8 in ${bundle} (yonos upscale --scale <n>; default x4).`,
      `Model card (${join(bundle, 'README.md')}, first 8 lines):`,
      '  # YONOS-SR x4 and x8',
      '',
      ...body.slice(0, 6).map((l) => `  ${l}`),
      '  ... (yonos info --json prints the whole card)',
    ]);
    expect(run.stdout).not.toContain('license: apache-2.0');

    const report = JSON.parse((await yonosWith({ bundledModelRoot: bundle }, 'info', '--json')).stdout) as InfoReport;
    expect(report.bundledScales).toEqual([4, 8]);
    expect(report.modelCard).toBe(card);
  });

  it('previews a short card whole, and one without front matter from its first line', () => {
    expect(cardPreview('# Card\r\n\nshort\n\n')).toEqual({ lines: ['# Card', '', 'short'], more: false });
    expect(cardPreview('a\nb\nc', 2)).toEqual({ lines: ['a', 'b'], more: true });
    // An unclosed front matter is not front matter.
    expect(cardPreview('---\ntitle', 5)).toEqual({ lines: ['---', 'title'], more: false });
  });
});

describe('describeError', () => {
  class ExampleError extends YonosError {}

  it('prints a typed error as its message on one line', () => {
    expect(describeError(new ExampleError('Bad thing.\n  Do this instead.'), false)).toBe('error: Bad thing. Do this instead.');
  });

  it('adds a --verbose hint to an unexpected error, and the stack with --verbose', () => {
    const err = new TypeError('x is undefined');
    expect(describeError(err, false)).toBe('error: x is undefined (unexpected error: rerun with --verbose for the stack trace, and report it if it persists)');
    const verbose = describeError(err, true);
    expect(verbose.split('\n')[0]).toBe('error: x is undefined');
    expect(verbose).toContain('TypeError: x is undefined');
    expect(describeError('plain string', false)).toMatch(/^error: plain string \(unexpected/);
  });
});
