import { describe, expect, it } from 'vitest';
import type { PhaseStamp } from '../lib/machine.js';
import { resultsMarkdown } from '../lib/markdown.js';
import type { ReportResults, ScoreEntry, TimingEntry } from '../lib/results.js';

const stamp: PhaseStamp = {
  started: '2025-01-01T10:00:00.000Z',
  finished: '2025-01-01T10:05:00.000Z',
  loadavgStart: [1.5, 1.25, 1],
  loadavgEnd: [2, 1.5, 1.1],
  machine: { cpu: 'Test CPU @ 2GHz', cores: 2, memoryGiB: 8, os: 'Linux 6', node: 'v20.0.0', tfjs: '4.22.0', backend: { name: 'wasm', wasm: { simd: true, threads: 1 } } },
};

const score = (method: string, psnr: number, ssim: number, extra: Partial<ScoreEntry> = {}): ScoreEntry => ({
  method, kind: extra.model !== undefined ? 'yonos' : method === 'bicubic' ? 'bicubic' : 'esrgan', scale: 4, psnr, ssim, winsOverBicubic: 1, perImage: {}, ...extra,
});
const timing = (method: string, meanMs: number, images: string[], extra: Partial<TimingEntry> = {}): TimingEntry => ({
  method, kind: 'yonos', scale: 4, images, repeats: 3, warmupMs: 1, perImageMs: {}, meanMs, ...extra,
});

const results: ReportResults = {
  format: 'yonos-report/1',
  metric: 'PSNR/SSIM on Y',
  timingMethod: 'median of 3',
  images: ['a', 'b'],
  scales: [4],
  seeds: [0, 1],
  models: {
    direct: { label: 'direct', decoder: 'original', steps: [1, 200], folders: { x4: '/m/d' } },
    distilled: { label: 'scale-distilled', decoder: 'original', steps: [1, 200], folders: { x4: '/m/s' } },
    final: { label: 'YONOS one-step', decoder: 'fine-tuned', steps: [1], folders: { x4: '/m/f' } },
  },
  sweep: ['direct', 'distilled'],
  final: 'final',
  esrgan: ['esrgan-thick'],
  montageEsrgan: 'esrgan-thick',
  scores: {
    stamp,
    missing: ['direct_s200_seed1_x4'],
    entries: [
      score('bicubic', 26.1834, 0.73012),
      score('esrgan-thick', 27.5612, 0.77761),
      score('final_s1', 28.0, 0.8, { model: 'final', steps: 1, seed: 0 }),
      score('final_s1_seed1', 28.1, 0.81, { model: 'final', steps: 1, seed: 1 }),
      score('direct_s1', 24.5, 0.6, { model: 'direct', steps: 1, seed: 0 }),
      score('direct_s200', 27.25, 0.79, { model: 'direct', steps: 200, seed: 0 }),
      score('distilled_s1', 27.0, 0.78, { model: 'distilled', steps: 1, seed: 0 }),
    ],
  },
  timing: {
    stamp,
    entries: [
      timing('bicubic', 3.14159, ['a', 'b'], { kind: 'bicubic' }),
      timing('esrgan-thick', 2941.4, ['a', 'b'], { kind: 'esrgan' }),
      timing('final_s1', 1590.2, ['a', 'b'], { model: 'final', steps: 1 }),
      timing('direct_s200', 90123.7, ['a'], { model: 'direct', steps: 200 }),
    ],
  },
};

describe('resultsMarkdown', () => {
  const md = resultsMarkdown(results);
  const lines = md.split('\n');

  it('has one table per scale with PSNR (2 decimals), SSIM (4), wins and ms per image', () => {
    expect(lines).toContain('## x4');
    expect(lines).toContain('| method | steps | decoder | PSNR (dB) | SSIM | PSNR > bicubic | ms/image |');
    expect(lines).toContain('| bicubic |  |  | 26.18 | 0.7301 |  | 3.1 |');
    expect(lines).toContain('| esrgan-thick |  |  | 27.56 | 0.7776 | 1/2 | 2941 |');
    // Two seeds: mean ± sample standard deviation (28.0 and 28.1: 28.05 ± 0.0707).
    expect(lines).toContain('| YONOS one-step | 1 | fine-tuned | 28.05 ± 0.07 | 0.8050 ± 0.0071 | 1/2, 1/2 | 1590 |');
    // A timed 200-step run gets its own row, with the subset of images named.
    expect(lines).toContain('| direct | 200 | original | 27.25 | 0.7900 | 1/2 | 90124 (1 img) |');
    expect(lines).toContain('| scale-distilled | 1 | original | 27.00 | 0.7800 | 1/2 |  |');
    // The final model comes first after the baselines.
    expect(lines.findIndex((l) => l.startsWith('| YONOS one-step'))).toBeLessThan(lines.findIndex((l) => l.startsWith('| direct')));
  });

  it('has the steps sweep as a table of the sweep models side by side', () => {
    expect(lines).toContain('### Steps sweep x4 (original decoder)');
    expect(lines).toContain('| steps | direct PSNR | direct SSIM | scale-distilled PSNR | scale-distilled SSIM |');
    expect(lines).toContain('| 1 | 24.50 | 0.6000 | 27.00 | 0.7800 |');
    expect(lines).toContain('| 200 | 27.25 | 0.7900 |  |  |');
    expect(md).toContain('![PSNR vs steps x4](psnr-steps_x4.png)');
  });

  it('starts with a title typedoc reads', () => {
    expect(md.startsWith('---\ntitle: Evaluation results\n---\n\n# ')).toBe(true);
  });

  it('describes the machine and lists what was not scored', () => {
    expect(md).toContain('| scores | Test CPU @ 2GHz, 2 cores, 8 GiB | Node v20.0.0, tfjs 4.22.0, wasm (SIMD on, 1 thread) | 2025-01-01T10:00:00.000Z – 2025-01-01T10:05:00.000Z | 1.50 / 1.25 / 1.00 → 2.00 / 1.50 / 1.10 |');
    expect(md).toContain('Not scored (missing or incomplete SR folders): direct_s200_seed1_x4.');
    expect(md).toContain('mean ± standard deviation over seeds 0, 1');
  });
});

describe('resultsMarkdown: what the times ran on', () => {
  const onThreads = (threads: number): PhaseStamp => ({ ...stamp, machine: { ...stamp.machine, backend: { name: 'wasm', wasm: { simd: true, threads } } } });
  const esrganEnv = (wasmThreads: number) => ({ tfjs: '4.11.0', backend: 'wasm', wasmThreads, wasmSimd: true, node: 'v20.0.0', package: '@upscalerjs/esrgan-thick@1.0.0' });
  const timed = (yonosThreads: number, esrganThreads: number): ReportResults => ({
    ...results,
    timing: {
      stamp: onThreads(yonosThreads),
      entries: [
        timing('esrgan-thick', 2941.4, ['a', 'b'], { kind: 'esrgan', env: esrganEnv(esrganThreads) }),
        timing('esrgan-thick', 700, ['a', 'b'], { kind: 'esrgan', scale: 8, env: esrganEnv(esrganThreads) }),
        timing('final_s1', 1590.2, ['a', 'b'], { model: 'final', steps: 1 }),
      ],
    },
  });

  it('says the backend and thread count of YONOS and of the esrgan models, from their records', () => {
    const md = resultsMarkdown(timed(2, 2));
    expect(md).toContain('\nTimed on wasm, 2 threads (tfjs 4.22.0); the esrgan models on wasm, 2 threads (tfjs 4.11.0).\n');
    expect(md).toContain('| timing | Test CPU @ 2GHz, 2 cores, 8 GiB | Node v20.0.0, tfjs 4.22.0, wasm (SIMD on, 2 threads); esrgan: tfjs 4.11.0, wasm (SIMD on, 2 threads) |');
    expect(md).not.toContain('do not compare');
    const single = resultsMarkdown(timed(1, 1));
    expect(single).toContain('Timed on wasm, 1 thread (tfjs 4.22.0); the esrgan models on wasm, 1 thread (tfjs 4.11.0).');
  });

  it('warns when the esrgan models ran on another thread count than YONOS', () => {
    const md = resultsMarkdown(timed(4, 1));
    expect(md).toContain('Timed on wasm, 4 threads (tfjs 4.22.0); the esrgan models on wasm, 1 thread (tfjs 4.11.0). **The esrgan models and YONOS ran on different backends or thread counts: their ms/image do not compare.**');
    expect(md).toContain('wasm (SIMD on, 4 threads); esrgan: tfjs 4.11.0, wasm (SIMD on, 1 thread) |');
  });

  it('has no such line without a timing phase', () => {
    const { timing: _dropped, ...untimed } = results;
    expect(resultsMarkdown(untimed)).not.toContain('Timed on');
  });
});
