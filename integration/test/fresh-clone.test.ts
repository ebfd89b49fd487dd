import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './workspace.js';

// A clone anywhere must pass: tests read golden data from the repository's own fixtures/,
// never from a folder beside it. The tracked files are copied two folders deep into a fresh
// temporary folder (so no `shared/` is anywhere above them) and the test files that read
// fixtures run there, each package's sources resolving to the copy's own.
const FIXTURE_TESTS: ReadonlyArray<readonly [project: string, file: string]> = [
  ['core', 'test/safetensors-fixtures.test.ts'],
  ['core', 'test/metrics.test.ts'],
  ['degrade', 'test/imresize.test.ts'],
  ['sampler', 'test/ddim-scheduler.test.ts'],
  ['unet', 'test/config.test.ts'],
  ['vae', 'test/sd-vae-shapes.test.ts'],
];

let outer: string;
let copy: string;

/** node_modules for the copy: the installed packages, with the workspace's own links pointing into the copy. */
function linkNodeModules(): void {
  const installed = join(repoRoot, 'node_modules');
  const target = join(copy, 'node_modules');
  mkdirSync(join(target, '@yonos'), { recursive: true });
  for (const entry of readdirSync(installed)) {
    if (entry === '@yonos' || entry === 'yonos' || entry === 'docs') continue;
    symlinkSync(join(installed, entry), join(target, entry));
  }
  for (const pkg of readdirSync(join(copy, 'packages'))) {
    if (pkg === 'yonos') symlinkSync(join(copy, 'packages', 'yonos'), join(target, 'yonos'));
    else symlinkSync(join(copy, 'packages', pkg), join(target, '@yonos', pkg));
  }
}

beforeAll(() => {
  outer = mkdtempSync(join(tmpdir(), 'yonos-clone-'));
  copy = join(outer, 'deep', 'yonos');
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  for (const file of tracked) {
    // Large folders the fixture tests never read.
    if (file.startsWith('training/') || file.startsWith('docs/report/')) continue;
    const from = join(repoRoot, file);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(from, join(copy, file));
  }
  linkNodeModules();
}, 300_000);

afterAll(() => {
  if (outer !== undefined) rmSync(outer, { recursive: true, force: true });
});

describe('a copy of the repository with no shared folder beside it', () => {
  it('has no shared/ folder above it', () => {
    let dir = copy;
    while (dirname(dir) !== dir) {
      dir = dirname(dir);
      expect(existsSync(join(dir, 'shared', 'fixtures')), `${dir}/shared/fixtures`).toBe(false);
    }
  });

  it('runs the tests that read golden data', () => {
    const args = ['vitest', 'run', ...FIXTURE_TESTS.flatMap(([project, file]) => ['--project', project, join('packages', project, file)])];
    const run = spawnSync('npx', args, { cwd: copy, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output.slice(-4000)).toBe(0);
    expect(output).toMatch(new RegExp(`Test Files\\s+.*${FIXTURE_TESTS.length} passed`));
    expect(output).not.toMatch(/ENOENT/);
  }, 600_000);
});
