import { availableParallelism } from 'node:os';
import { ThreadCountError } from '@yonos/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ReportError } from '../lib/errors.js';
import { parseThreadsFlag, reportThreads } from '../lib/threads.js';

describe('report threads', () => {
  const saved = process.env['YONOS_THREADS'];
  afterEach(() => {
    if (saved === undefined) delete process.env['YONOS_THREADS'];
    else process.env['YONOS_THREADS'] = saved;
  });

  it('takes --threads over the config, and the config over YONOS_THREADS', () => {
    process.env['YONOS_THREADS'] = '3';
    expect(reportThreads(5, 2)).toEqual({ threads: 2, source: '--threads' });
    expect(reportThreads('all', 2)).toEqual({ threads: 2, source: '--threads' });
    expect(reportThreads(5)).toEqual({ threads: 5, source: 'config' });
    expect(reportThreads(undefined, 'all')).toEqual({ threads: availableParallelism(), source: '--threads' });
    expect(reportThreads('all')).toEqual({ threads: availableParallelism(), source: 'config' });
  });

  it('falls back to YONOS_THREADS, else every core, as YONOS does', () => {
    process.env['YONOS_THREADS'] = '3';
    expect(reportThreads(undefined)).toEqual({ threads: 3, source: 'YONOS_THREADS or every core' });
    delete process.env['YONOS_THREADS'];
    expect(reportThreads(undefined).threads).toBe(availableParallelism());
    process.env['YONOS_THREADS'] = 'many';
    expect(() => reportThreads(undefined)).toThrow(ThreadCountError);
    // A count that is set never reads the variable.
    expect(reportThreads(2).threads).toBe(2);
  });

  it('parses --threads as "all" or a whole number from 1 to 256', () => {
    expect(parseThreadsFlag('all')).toBe('all');
    expect(parseThreadsFlag(' 4 ')).toBe(4);
    expect(parseThreadsFlag('256')).toBe(256);
    for (const bad of ['0', '257', '2.5', '1e2', '', 'ALL', 'two']) {
      expect(() => parseThreadsFlag(bad)).toThrow(ReportError);
    }
  });
});
