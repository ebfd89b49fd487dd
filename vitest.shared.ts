import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserWorkspaceConfig } from 'vitest/config';

/**
 * One vitest project per workspace package. Tests import sibling packages through the
 * `source` export condition, so they run against `src/` without a build.
 */
export function sharedProject(configUrl: string): UserWorkspaceConfig {
  const dir = dirname(fileURLToPath(configUrl));
  return {
    resolve: { conditions: ['source', 'module', 'import', 'default'] },
    ssr: { resolve: { conditions: ['source', 'module', 'import', 'default'], externalConditions: ['source'] } },
    test: {
      name: basename(dir),
      root: dir,
      include: ['test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      // Test files run in parallel forks, one per core; a wasm pool of every core in each would
      // oversubscribe the machine. Tests of threading ask for their threads explicitly.
      env: { YONOS_THREADS: process.env['YONOS_THREADS'] ?? '1' },
    },
  };
}
