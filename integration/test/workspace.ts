import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the monorepo. */
export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The fields of a workspace package.json these tests read. */
export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

/** A publishable workspace package: its folder and its manifest. */
export interface WorkspacePackage {
  dir: string;
  manifest: PackageJson;
}

/** Every publishable package under `packages/`. */
export function publishablePackages(): WorkspacePackage[] {
  const base = join(repoRoot, 'packages');
  return readdirSync(base)
    .map((name) => join(base, name))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson }))
    .filter((p) => !p.manifest.private);
}

/** The import specifiers of a package's public entries (its `exports` map, minus package.json). */
export function publicEntries(manifest: PackageJson): string[] {
  return Object.keys(manifest.exports ?? { '.': null })
    .filter((key) => !key.endsWith('package.json'))
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
}

/** The workspace packages `name` depends on, transitively, including itself. */
export function workspaceClosure(name: string, all: WorkspacePackage[]): WorkspacePackage[] {
  const byName = new Map(all.map((p) => [p.manifest.name, p]));
  const seen = new Map<string, WorkspacePackage>();
  const visit = (n: string): void => {
    const pkg = byName.get(n);
    if (!pkg || seen.has(n)) return;
    seen.set(n, pkg);
    for (const dep of Object.keys(pkg.manifest.dependencies ?? {})) visit(dep);
  };
  visit(name);
  return [...seen.values()];
}
