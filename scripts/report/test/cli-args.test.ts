import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseReportArgs } from '../lib/cli-args.js';
import { parsePhases } from '../lib/phases.js';

describe('run-report command line', () => {
  it('defaults to every phase and the config beside the script', () => {
    const args = parseReportArgs([])!;
    expect(args.config).toBe(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatch(/scripts\/report\/report\.config\.json$/);
    expect(args.run.phases).toEqual(['quality', 'esrgan', 'timing', 'score', 'plots']);
    expect(args.run.force).toBe(false);
    expect(args.run.shard).toBeUndefined();
    expect(args.run.threads).toBeUndefined();
  });

  it('parses phases (in run order), shard, timing images and switches', () => {
    const args = parseReportArgs(['--phases', 'plots,quality', '--shard=2/2', '--timing-images', '3', '--force', '--allow-missing', '--config', 'x.json'])!;
    expect(args).toEqual({ config: 'x.json', run: { phases: ['quality', 'plots'], force: true, allowMissing: true, shard: { index: 2, count: 2 }, timingImages: 3 } });
    expect(parsePhases('all')).toHaveLength(5);
    expect(parseReportArgs(['--threads', '2'])!.run.threads).toBe(2);
    expect(parseReportArgs(['--threads=all'])!.run.threads).toBe('all');
  });

  it('rejects unknown phases and flags, bad shards and counts', () => {
    expect(() => parseReportArgs(['--phases', 'quality,scores'])).toThrow(/--phases takes a comma-separated list of quality, esrgan, timing, score, plots/);
    expect(() => parseReportArgs(['--shards', '1/2'])).toThrow(/Unknown flag --shards/);
    expect(() => parseReportArgs(['--shard', '3/2'])).toThrow(/--shard must look like i\/n/);
    expect(() => parseReportArgs(['--timing-images', '0'])).toThrow(/--timing-images must be at least 1/);
    for (const bad of ['0', '257', '1.5', 'every', '-1']) {
      expect(() => parseReportArgs(['--threads', bad])).toThrow(`--threads must be "all" (every core) or a whole number from 1 to 256, got '${bad}'.`);
    }
  });
});
