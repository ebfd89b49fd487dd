import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReportConfig, parseReportConfig } from '../lib/config.js';
import { ReportError } from '../lib/errors.js';
import { removeTempDirs, sampleConfig, tempDir, writeConfig } from './helpers.js';

/** The ReportError message of parsing `raw`, or fails the test if it parses. */
function problems(raw: unknown): string {
  try {
    parseReportConfig(raw, '/base');
  } catch (error) {
    expect(error).toBeInstanceOf(ReportError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('report config', () => {
  afterAll(removeTempDirs);

  it('resolves every path against the config folder and fills the defaults', () => {
    const c = parseReportConfig(sampleConfig(), '/base');
    expect(c.eval).toBe('/base/eval');
    expect(c.sr).toBe('/base/eval/sr');
    expect(c.output).toBe('/base/report');
    expect(c.models['direct']!.folders['x4']).toBe('/base/models/direct-x4');
    expect(c.esrgan.script).toBe('/base/esrgan/run-esrgan.mjs');
    expect(c.backend).toBe('wasm');
    expect(c.tile).toBe(false);
    expect(c.timing.repeats).toBe(3);
    expect(c.esrgan.unit_variants).toBe(false);
    expect(c.montage.zoom).toBe(2);
    // No threads key: YONOS's default decides (see reportThreads).
    expect(c.threads).toBeUndefined();
  });

  it('takes threads as "all" or a whole number from 1 to 256, and nothing else', () => {
    expect(parseReportConfig(sampleConfig({ threads: 'all' }), '/base').threads).toBe('all');
    expect(parseReportConfig(sampleConfig({ threads: 4 }), '/base').threads).toBe(4);
    expect(parseReportConfig(sampleConfig({ threads: 256 }), '/base').threads).toBe(256);
    for (const bad of [0, 257, 1.5, -2, 'every', '4']) {
      expect(problems({ ...sampleConfig(), threads: bad })).toContain('threads: threads must be "all" (every core) or a whole number from 1 to 256');
    }
  });

  it('accepts the shipped report.config.json', async () => {
    const c = await loadReportConfig(join(import.meta.dirname, '..', 'report.config.json'));
    expect(c.scales).toEqual([4, 8]);
    expect(c.models['distilled']!.steps).toEqual([1, 2, 4, 8, 16, 64, 200]);
    expect(c.models['direct']!.folders['x8']).toMatch(/training\/recipe\/direct-x8\/final$/);
    // The timing table compares YONOS and the esrgan models on every core.
    expect(c.threads).toBe('all');
  });

  it('names models that are not defined', () => {
    const m = problems(sampleConfig({ sweep: ['direct', 'distilled'], final: 'nope' }));
    expect(m).toContain('sweep.1: "distilled" is not a key of "models"');
    expect(m).toContain('final: "nope" is not a key of "models"');
  });

  it('rejects a folder for a scale that is not evaluated', () => {
    const config = sampleConfig();
    const models = { ...config.models, direct: { decoder: 'original' as const, steps: [1], folders: { x4: 'a', x3: 'b' } } };
    expect(problems({ ...config, models })).toContain('models.direct.folders.x3: scale 3 is not in "scales" [4]');
  });

  it('rejects bad model names and unknown keys', () => {
    const config = sampleConfig();
    const m = problems({ ...config, typo: 1, models: { ...config.models, Bad_Name: { decoder: 'original', steps: [1], folders: {} } } });
    expect(m).toContain('(top level): Unrecognized key: "typo"');
    expect(m).toContain('models.Bad_Name: invalid name: names are lower-case letters, digits and "-"');
  });

  it('rejects unordered step counts, a bad folder key and a montage esrgan that is not run', () => {
    const config = sampleConfig();
    const m = problems({ ...config, models: { ...config.models, direct: { decoder: 'original', steps: [4, 2], folders: { four: 'a' } } } });
    expect(m).toContain('models.direct.steps: list the step counts in increasing order');
    expect(m).toContain('models.direct.folders.four: invalid name: folder keys look like "x4" or "x8"');
    expect(problems({ ...config, montage: { ...config.montage, esrgan: 'esrgan-slim' } })).toContain('montage.esrgan: "esrgan-slim" is not run');
  });

  it('rejects a missing file and invalid JSON with a ReportError', async () => {
    const dir = await tempDir();
    await expect(loadReportConfig(join(dir, 'none.json'))).rejects.toThrow(/Cannot read the report config/);
    await writeFile(join(dir, 'bad.json'), '{ "eval": ');
    await expect(loadReportConfig(join(dir, 'bad.json'))).rejects.toThrow(/is not valid JSON/);
    const path = await writeConfig(dir, { ...sampleConfig(), seeds: [] });
    await expect(loadReportConfig(path)).rejects.toThrow(/seeds: give at least one seed/);
  });
});
