import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { imageFolder } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

function run(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('yonos as a child process', () => {
  it('runs from source with tsx: degrade writes the good pairs, reports the corrupt file and exits 1', async () => {
    const root = await imageFolder();
    try {
      const out = join(root, 'out');
      const result = run([tsxCli, '--conditions=source', 'src/cli/main.ts', '--backend', 'cpu', 'degrade', join(root, 'in'), '--out', out, '--scale', '2']);
      expect(result.code).toBe(1);
      // Only the summary on stdout: tfjs's console advice is silenced.
      expect(result.stdout).toMatch(/^Wrote 3 LR\/HR pairs to .*backend cpu\.\n$/);
      expect(result.stderr).toMatch(/^warning: skipped 'bad\.png': Cannot decode image/m);
      expect(result.stderr).toMatch(/^error: 1 of 4 images failed/m);
      expect(await readdir(join(out, 'lr_x2'))).toHaveLength(3);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('bin/yonos.js runs the built command (skipped, saying so, where the package is not built)', (ctx) => {
    if (!existsSync(join(packageDir, 'dist', 'cli', 'main.js'))) ctx.skip('packages/yonos is not built (no dist/cli/main.js): run `npm run build`');
    const result = run(['bin/yonos.js', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: yonos/);
  });

  it('bin/yonos.js says how to build the command where dist/cli/main.js is missing', async () => {
    // The launcher alone, in a package folder without dist/.
    const root = await mkdtemp(join(tmpdir(), 'yonos-launcher-'));
    try {
      await mkdir(join(root, 'bin'));
      await copyFile(join(packageDir, 'bin', 'yonos.js'), join(root, 'bin', 'yonos.js'));
      await writeFile(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
      const result = spawnSync(process.execPath, [join(root, 'bin', 'yonos.js'), '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/not built .*run `npm run build`/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
