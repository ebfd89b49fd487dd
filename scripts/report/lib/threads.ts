import { availableParallelism } from 'node:os';
import { MAX_THREADS } from '@yonos/core';
import { defaultNodeThreads } from '@yonos/core/node';
import { z } from 'zod';
import { ReportError } from './errors.js';

/** How many wasm threads the report runs on: `"all"` (every core) or a count. */
export type ThreadsSetting = 'all' | number;

const MESSAGE = `threads must be "all" (every core) or a whole number from 1 to ${MAX_THREADS}`;

/** The schema of the config's `threads` key and of `--threads`. */
export const threadsSchema = z.union(
  [
    z.literal('all', { error: MESSAGE }),
    z.number({ error: MESSAGE }).int({ error: MESSAGE }).min(1, { error: MESSAGE }).max(MAX_THREADS, { error: MESSAGE }),
  ],
  { error: MESSAGE },
);

/**
 * Parses `--threads` (`all` or a whole number).
 * @throws {@link ReportError} for anything else.
 */
export function parseThreadsFlag(text: string): ThreadsSetting {
  const trimmed = text.trim();
  const parsed = threadsSchema.safeParse(/^\d+$/.test(trimmed) ? Number(trimmed) : trimmed);
  if (!parsed.success) throw new ReportError(`--${MESSAGE}, got '${text}'.`);
  return parsed.data;
}

/** The thread count of a report run and what decided it. */
export interface ReportThreads {
  readonly threads: number;
  /** `--threads`, `config` or, when neither sets it, `YONOS_THREADS or every core`. */
  readonly source: '--threads' | 'config' | 'YONOS_THREADS or every core';
}

/**
 * The wasm threads of a report run, the same for YONOS and for run-esrgan.mjs: `--threads`,
 * else the config's `threads`, else YONOS's default (`YONOS_THREADS`, else every core).
 * `"all"` is `os.availableParallelism()`.
 * @param configured The config's `threads`.
 * @param flag `--threads`, when given.
 * @throws ThreadCountError when it falls to a `YONOS_THREADS` that is not a thread count.
 */
export function reportThreads(configured: ThreadsSetting | undefined, flag?: ThreadsSetting): ReportThreads {
  const [setting, source] = flag !== undefined ? [flag, '--threads' as const] : [configured, 'config' as const];
  if (setting === undefined) return { threads: defaultNodeThreads(), source: 'YONOS_THREADS or every core' };
  return { threads: setting === 'all' ? availableParallelism() : setting, source };
}
