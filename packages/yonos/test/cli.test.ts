import { YonosError } from '@yonos/core';
import { describe, expect, it } from 'vitest';
import { describeError } from '../src/cli/errors.js';
import { REPORTED_PACKAGES } from '../src/cli/versions.js';
import { yonos } from './helpers.js';

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

  it('reports usage errors in one line with a hint, exit code 1', async () => {
    for (const args of [['--frobnicate'], ['--backend', 'gpu9000', 'info'], ['degrade', 'folder'], ['nonsense']]) {
      const run = await yonos(...args);
      expect(run.code).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[1]).toBe('(run with --help for usage)');
    }
    expect((await yonos('degrade', 'folder')).stderr).toContain("'-o, --out <folder>' not specified");
  });

  it('without a command, shows the help on stderr and fails', async () => {
    const run = await yonos();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Usage: yonos');
  });

  it('info lists package versions, every backend with a reason when unavailable, and the missing model', async () => {
    const run = await yonos('info');
    expect(run.code).toBe(0);
    for (const name of REPORTED_PACKAGES) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name.replace('/', '\\/')}\\s+\\d+\\.\\d+\\.\\d+$`, 'm'));
    }
    expect(run.stdout).toMatch(/^ {2}cpu\s+available$/m);
    expect(run.stdout).toMatch(/^ {2}wasm\s+available$/m);
    expect(run.stdout).toMatch(/^ {2}webgl\s+unavailable: .+/m);
    expect(run.stdout).toMatch(/Backends \(default: wasm;/);
    expect(run.stdout).toMatch(/Bundled model: none installed yet/);

    const json = await yonos('info', '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { packages: { name: string }[]; backends: { name: string; available: boolean }[]; defaultBackend: string; modelCard: null };
    expect(report.packages.map((p) => p.name)).toEqual([...REPORTED_PACKAGES, '@tensorflow/tfjs-core']);
    expect(report.backends.map((b) => b.name)).toEqual(['cpu', 'wasm', 'webgpu', 'webgl', 'tensorflow']);
    expect(report.defaultBackend).toBe('wasm');
    expect(report.modelCard).toBeNull();
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
