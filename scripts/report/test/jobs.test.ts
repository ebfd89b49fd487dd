import { describe, expect, it } from 'vitest';
import { parseReportConfig } from '../lib/config.js';
import { OVERHEAD_STEPS, parseShard, shardJobs, yonosJobs } from '../lib/jobs.js';
import { sampleConfig } from './helpers.js';

describe('YONOS jobs', () => {
  it('lists one folder per scale, model, step count and seed, named <model>_s<steps>[_seed<k>]_x<S>', () => {
    const c = parseReportConfig(sampleConfig({ seeds: [0, 7] }), '/r');
    const folders = yonosJobs(c).map((j) => j.outDir.slice('/r/eval/sr/'.length));
    expect(folders).toEqual([
      'direct_s1_x4', 'direct_s1_seed7_x4', 'direct_s2_x4', 'direct_s2_seed7_x4',
      'final_s1_x4', 'final_s1_seed7_x4',
    ]);
    expect(yonosJobs(c).filter((j) => j.model === 'final').every((j) => j.pipeline === '/r/models/final-x4')).toBe(true);
  });

  it('parses --shard i/n and rejects anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard must look like i\/n/);
  });

  it('splits the jobs into disjoint shards that cover all of them, balanced by steps', () => {
    const c = parseReportConfig(
      sampleConfig({
        scales: [4, 8],
        models: {
          direct: { decoder: 'original', steps: [1, 2, 4, 8, 16, 64, 200], folders: { x4: 'a', x8: 'b' } },
          distilled: { decoder: 'original', steps: [1, 2, 4, 8, 16, 64, 200], folders: { x4: 'c', x8: 'd' } },
          final: { decoder: 'fine-tuned', steps: [1], folders: { x4: 'e', x8: 'f' } },
        },
        sweep: ['direct', 'distilled'],
      }),
      '/r',
    );
    const all = yonosJobs(c);
    const parts = [1, 2].map((index) => shardJobs(all, { index, count: 2 }));
    const seen = parts.flat().map((j) => j.outDir).sort();
    expect(seen).toEqual(all.map((j) => j.outDir).sort());
    const cost = (jobs: typeof all) => jobs.reduce((a, j) => a + j.steps + OVERHEAD_STEPS, 0);
    // The four 200-step folders go two and two.
    expect(parts.map((p) => p.filter((j) => j.steps === 200).length)).toEqual([2, 2]);
    expect(Math.abs(cost(parts[0]!) - cost(parts[1]!))).toBeLessThanOrEqual(64 + OVERHEAD_STEPS);
    // Each shard keeps the input order (so a process visits one pipeline at a time).
    for (const p of parts) expect(p.map((j) => all.indexOf(j))).toEqual([...p.map((j) => all.indexOf(j))].sort((a, b) => a - b));
  });
});
