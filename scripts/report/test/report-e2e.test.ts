import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readImage, useBackend } from '@yonos/core/node';
import type { RawImage } from '@yonos/core';
import { YonosPipeline } from 'yonos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReportConfig } from '../lib/config.js';
import type { ReportConfig } from '../lib/config.js';
import { runReport } from '../lib/phases.js';
import { runQuality } from '../lib/quality.js';
import { readResults } from '../lib/results.js';
import { readRunRecord, writeRunRecord } from '../lib/run-record.js';
import { removeTempDirs, sampleConfig, tempDir, writeEvalSet, writeFakeEsrgan, writeTinyPipeline } from './helpers.js';

/**
 * BasicSR's PSNR on Y (BT.601, 16-235), border cropped, written out independently of core.
 * BasicSR's `to_y_channel` passes the image through float32 (`/ 255`, and Y stored as
 * float32 before `* 255`), which moves PSNRs by ~1e-6 dB: those roundings are reproduced.
 */
function yPsnr(a: RawImage, b: RawImage, border: number): number {
  const f = Math.fround;
  const y = (im: RawImage, i: number) => {
    const [r, g, bl] = [0, 1, 2].map((c) => f(im.data[i + c]! / 255));
    return f(f((bl! * 24.966 + g! * 128.553 + r! * 65.481 + 16) / 255) * 255);
  };
  let se = 0;
  let n = 0;
  for (let r = border; r < a.height - border; r++) {
    for (let c = border; c < a.width - border; c++) {
      const i = (r * a.width + c) * 3;
      se += (y(a, i) - y(b, i)) ** 2;
      n++;
    }
  }
  return 10 * Math.log10((255 * 255) / (se / n));
}

const rgb = async (path: string) => readImage(path);

describe('report end to end on tiny stand-in models', () => {
  afterAll(removeTempDirs);

  let root: string;
  let config: ReportConfig;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  beforeAll(async () => {
    await useBackend('wasm');
    root = await tempDir();
    await writeEvalSet(join(root, 'eval'), ['a', 'b'], 32, [4]);
    await writeTinyPipeline(join(root, 'models', 'direct-x4'), 4, 1);
    await writeTinyPipeline(join(root, 'models', 'final-x4'), 4, 2);
    await writeFakeEsrgan(join(root, 'esrgan'));
    config = parseReportConfig(
      sampleConfig({ montage: { esrgan: 'esrgan-thick', zoom: 2, crops: [{ image: 'b', left: 4, top: 8, size: 16 }] }, timing: { repeats: 1, runs: [{ model: 'final', steps: 1 }] } }),
      root,
    );
  });

  it('quality writes every folder as PNGs named like the HR files, equal to an upscale with that seed, without leaking', async () => {
    const before = tf.memory().numTensors;
    const summary = await runQuality(config, { log });
    expect(tf.memory().numTensors).toBe(before);
    expect(summary.written.sort()).toEqual(['direct_s1_x4', 'direct_s2_x4', 'final_s1_x4']);
    for (const folder of summary.written) {
      for (const n of ['a', 'b']) {
        const img = await rgb(join(root, 'eval', 'sr', folder, `${n}.png`));
        expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([32, 32, 3, 8]);
      }
      const record = await readRunRecord(join(root, 'eval', 'sr', folder));
      expect(record?.status).toBe('complete');
      expect(record?.images).toEqual(['a', 'b']);
    }
    await useBackend('wasm');
    const pipe = await YonosPipeline.fromPretrained(join(root, 'models', 'direct-x4'));
    try {
      const lr = await rgb(join(root, 'eval', 'lr_x4', 'b.png'));
      const direct = await pipe.upscale(lr, { steps: 2, seed: 0, tile: false });
      const written = await rgb(join(root, 'eval', 'sr', 'direct_s2_x4', 'b.png'));
      expect(Buffer.from(written.data).equals(Buffer.from(direct.data))).toBe(true);
      // Steps matter: the one-step folder differs.
      const one = await rgb(join(root, 'eval', 'sr', 'direct_s1_x4', 'b.png'));
      expect(Buffer.from(one.data).equals(Buffer.from(direct.data))).toBe(false);
    } finally {
      pipe.dispose();
    }
  });

  it('skips complete folders, resumes a partial one, and redoes folders of a retrained model', async () => {
    const sr = join(root, 'eval', 'sr');
    const mtime = async (f: string) => (await stat(join(sr, f))).mtimeMs;
    const kept = await mtime('final_s1_x4/a.png');
    let s = await runQuality(config, { log });
    expect(s.written).toEqual([]);
    expect(s.skipped.sort()).toEqual(['direct_s1_x4', 'direct_s2_x4', 'final_s1_x4']);

    const record = (await readRunRecord(join(sr, 'direct_s1_x4')))!;
    const { b: _dropped, ...rest } = record.perImageMs;
    await writeRunRecord(join(sr, 'direct_s1_x4'), { ...record, status: 'partial', perImageMs: rest });
    await rm(join(sr, 'direct_s1_x4', 'b.png'));
    const keptA = await mtime('direct_s1_x4/a.png');
    lines.length = 0;
    s = await runQuality(config, { log });
    expect(s.written).toEqual(['direct_s1_x4']);
    expect(lines.filter((l) => l.startsWith('direct_s1_x4 '))).toEqual([expect.stringMatching(/^direct_s1_x4 b: 8x8 -> 32x32, 1 steps/)]);
    expect(await mtime('direct_s1_x4/a.png')).toBe(keptA);

    await writeTinyPipeline(join(root, 'models', 'direct-x4'), 4, 3);
    s = await runQuality(config, { log });
    expect(s.written.sort()).toEqual(['direct_s1_x4', 'direct_s2_x4']);
    expect(await mtime('final_s1_x4/a.png')).toBe(kept);
    s = await runQuality(config, { log, force: true, shard: { index: 2, count: 2 } });
    expect(s.written.length + s.skipped.length).toBeGreaterThan(0);
    expect(s.skipped).toEqual([]);
  });

  it('esrgan, timing, score and plots fill results.json, results.md and the figures', async () => {
    const before = tf.memory().numTensors;
    const results = await runReport(config, { phases: ['esrgan', 'timing', 'score', 'plots'], log, timingImages: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(results).toBeDefined();
    const saved = (await readResults(config.output))!;
    expect(saved.images).toEqual(['a', 'b']);
    // Model folders relative to results.json, so a committed report names no machine's paths.
    expect(saved.models['direct']!.folders).toEqual({ x4: '../models/direct-x4' });

    // Scores: every folder of the config, bicubic checked against an independent Y-PSNR.
    const entries = saved.scores!.entries;
    expect(entries.map((e) => e.method)).toEqual(['bicubic', 'esrgan-thick', 'direct_s1', 'direct_s2', 'final_s1']);
    const bicubic = entries[0]!;
    for (const n of ['a', 'b']) {
      const hr = await rgb(join(root, 'eval', 'hr', `${n}.png`));
      const up = await rgb(join(root, 'eval', 'sr', 'bicubic_x4', `${n}.png`));
      expect(bicubic.perImage[n]!.psnr).toBeCloseTo(yPsnr(up, hr, 4), 9);
    }
    expect(bicubic.psnr).toBeCloseTo((bicubic.perImage['a']!.psnr + bicubic.perImage['b']!.psnr) / 2, 10);
    const yonos = entries.find((e) => e.method === 'direct_s2')!;
    expect([yonos.kind, yonos.model, yonos.steps, yonos.seed]).toEqual(['yonos', 'direct', 2, 0]);
    expect(yonos.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The fake esrgan copies the other image's HR: far worse than bicubic.
    expect(entries[1]!.psnr).toBeLessThan(bicubic.psnr - 3);
    expect(saved.scores!.missing).toEqual([]);

    // Timing: one image each, on wasm, esrgan numbers from its child process.
    const t = saved.timing!.entries;
    expect(t.map((e) => e.method)).toEqual(['bicubic', 'esrgan-thick', 'final_s1']);
    expect(t.every((e) => e.images.length === 1 && e.images[0] === 'a' && e.meanMs > 0)).toBe(true);
    expect(t[1]!.meanMs).toBe(100);
    expect(t[1]!.env).toMatchObject({ tfjs: 'fake', backend: 'wasm', package: '@fake/esrgan-thick@0.0.0' });
    expect(saved.timing!.stamp.machine.backend.name).toBe('wasm');
    // One thread count for the run (vitest sets YONOS_THREADS=1), handed to the esrgan script too.
    expect(lines).toContain('wasm threads: 1 (YONOS_THREADS or every core)');
    expect(saved.timing!.stamp.machine.backend.wasm?.threads).toBe(1);
    expect(t[1]!.env?.['wasmThreads']).toBe(1);
    expect(saved.timing!.stamp.loadavgStart).toHaveLength(3);

    const md = await readFile(join(config.output, 'results.md'), 'utf8');
    expect(md).toContain(`| bicubic |  |  | ${bicubic.psnr.toFixed(2)} | ${bicubic.ssim.toFixed(4)} |`);
    expect(md).toContain('| steps | direct PSNR | direct SSIM |');
    expect(md).toContain(`Timed on wasm, 1 thread (tfjs ${saved.timing!.stamp.machine.tfjs}); the esrgan models on wasm, 1 thread (tfjs fake).`);

    for (const f of ['psnr-steps_x4.png', 'ssim-steps_x4.png', 'montage_x4.png']) {
      const meta = await readImage(join(config.output, f));
      expect(meta.width).toBeGreaterThan(100);
    }
    const chart = await readFile(join(config.output, 'psnr-steps_x4.svg'), 'utf8');
    expect(chart).toContain('data-name="direct"');
    expect(chart).toContain('data-name="YONOS one-step"');
    expect(chart).toContain('class="reference" data-name="bicubic"');
  });

  it('fails the timing when the esrgan script ran on another thread count than YONOS', async () => {
    process.env['FAKE_ESRGAN_THREADS'] = '3';
    try {
      await expect(runReport(config, { phases: ['timing'], log, timingImages: 1 })).rejects.toThrow(
        /esrgan-thick x4 was timed on 3 wasm threads, YONOS on 1: run-esrgan.mjs did not take --threads 1/,
      );
    } finally {
      delete process.env['FAKE_ESRGAN_THREADS'];
    }
  });

  it('fails clearly when the esrgan script fails or a model folder is missing', async () => {
    const bad = parseReportConfig(sampleConfig({ esrgan: { script: 'esrgan/run-esrgan.mjs', models: ['esrgan-slim', 'esrgan-thick'] } }), root);
    await expect(runReport(bad, { phases: ['esrgan'], log })).rejects.toThrow(/exited with code 3; its last lines:\nno such model here/);
    const missing = parseReportConfig(sampleConfig({ models: { final: { decoder: 'fine-tuned', steps: [1], folders: { x4: 'models/none' } } }, sweep: ['final'] }), root);
    await expect(runQuality(missing, { log })).rejects.toThrow(/No pipeline folder \(model_index.json\) at .*models\/none: train these models first/);
    const s = await runQuality(missing, { log, allowMissing: true });
    expect(s.missing).toEqual(['final_s1_x4']);
    await expect(runReport(config, { phases: ['quality', 'score'], shard: { index: 1, count: 2 } })).rejects.toThrow(/--shard only splits the quality phase/);
  });
});
