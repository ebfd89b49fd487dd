import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicEntries, publishablePackages, repoRoot, workspaceClosure } from './workspace.js';

// Each package is packed, installed with only the tarballs of its own @yonos dependencies
// into a project outside the workspace, and imported under Node's own resolver: this catches
// undeclared dependencies (hoisting), missing `.js` extensions and broken `exports` maps.
const packages = publishablePackages();
const tarballs = new Map<string, string>();
let packDir: string;

beforeAll(() => {
  execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: repoRoot, stdio: 'inherit' });
  packDir = mkdtempSync(join(tmpdir(), 'yonos-pack-'));
  for (const pkg of packages) {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: pkg.dir, encoding: 'utf8' });
    const [{ filename }] = JSON.parse(out) as [{ filename: string }];
    tarballs.set(pkg.manifest.name, join(packDir, filename));
  }
}, 600_000);

afterAll(() => {
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

describe('every package installs alone and imports in Node', () => {
  for (const pkg of packages) {
    it(pkg.manifest.name, () => {
      const project = mkdtempSync(join(tmpdir(), 'yonos-install-'));
      try {
        writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
        const own = workspaceClosure(pkg.manifest.name, packages).map((p) => tarballs.get(p.manifest.name)!);
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...own], { cwd: project, stdio: 'pipe' });
        for (const entry of publicEntries(pkg.manifest)) {
          const script = `const m = await import(${JSON.stringify(entry)}); console.log(Object.keys(m).length);`;
          const out = execFileSync('node', ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
          expect(Number(out.trim()), `${entry} exports something`).toBeGreaterThan(0);
        }
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
