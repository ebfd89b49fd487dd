import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { psnrHost, ssimHost } from '@yonos/core';
import type { MetricHostImage, MetricOptions, RawImage } from '@yonos/core';
import { readImage, writeImage } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricImage } from '../src/cli/eval/score.js';
import { testImage, yonos } from './helpers.js';

let root: string;
let hr: string;
let sr: string;

/** `image` with deterministic noise of amplitude `amount` added and clamped. */
function noisy(image: RawImage, amount: number, salt: number): RawImage {
  const data = Uint8Array.from(image.data, (v, i) => Math.min(255, Math.max(0, v + (((i * 7919 + salt * 104729) % (2 * amount + 1)) - amount))));
  return { ...image, data };
}

function gray(image: RawImage): RawImage {
  const n = image.width * image.height;
  return { data: Uint8Array.from({ length: n }, (_, p) => image.data[3 * p]!), width: image.width, height: image.height, channels: 1, bitDepth: 8 };
}

/** RGB host image as BasicSR's loader sees a file: gray replicated, written here by hand. */
function host(image: RawImage): MetricHostImage {
  if (image.channels === 3) return { data: image.data, width: image.width, height: image.height, channels: 3 };
  const data = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++) data.fill(image.data[p]!, 3 * p, 3 * p + 3);
  return { data, width: image.width, height: image.height, channels: 3 };
}

const images: Record<string, { hr: RawImage; sr: RawImage }> = {};

function direct(name: string, options: MetricOptions): { psnr: number; ssim: number } {
  const pair = images[name]!;
  return { psnr: psnrHost(host(pair.sr), host(pair.hr), options), ssim: ssimHost(host(pair.sr), host(pair.hr), options) };
}

describe('yonos eval', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'yonos-eval-'));
    hr = join(root, 'hr');
    sr = join(root, 'sr');
    await mkdir(hr);
    await mkdir(sr);
    images['a.png'] = { hr: testImage(40, 36, 1), sr: noisy(testImage(40, 36, 1), 12, 1) };
    images['b.png'] = { hr: gray(testImage(32, 28, 2)), sr: gray(noisy(testImage(32, 28, 2), 30, 2)) };
    for (const [name, pair] of Object.entries(images)) await writeImage(join(hr, name), pair.hr);
    // SR names as yonos upscale writes them, and as other tools do.
    await writeImage(join(sr, 'a_x4.png'), images['a.png']!.sr);
    await writeImage(join(sr, 'b.png'), images['b.png']!.sr);
    await writeImage(join(sr, 'unrelated.png'), testImage(8, 8, 3));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("prints JSON scores equal to core's psnr/ssim (Y channel, border = scale), and exits with 0", async () => {
    const run = await yonos('eval', '--hr', hr, '--sr', sr, '--scale', '4', '--json');
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toBe('note: 1 SR image matched no HR image and was not scored (unrelated.png).');
    const report = JSON.parse(run.stdout) as { metric: unknown; images: { name: string; psnr: number; ssim: number; sr: string }[]; mean: { psnr: number; ssim: number }; failed: unknown[] };
    expect(report.metric).toEqual({ channel: 'y', cropBorder: 4, scale: 4 });
    const options = { cropBorder: 4, testYChannel: true } as const;
    const want = ['a.png', 'b.png'].map((name) => ({ name, ...direct(name, options) }));
    expect(report.images.map(({ name, psnr, ssim }) => ({ name, psnr, ssim }))).toEqual(want);
    expect(report.images.map((i) => i.sr)).toEqual([join(sr, 'a_x4.png'), join(sr, 'b.png')]);
    expect(report.mean.psnr).toBeCloseTo((want[0]!.psnr + want[1]!.psnr) / 2, 12);
    expect(report.mean.ssim).toBeCloseTo((want[0]!.ssim + want[1]!.ssim) / 2, 12);
    expect(report.failed).toEqual([]);
    // Sanity: the noise is visible to the metrics (a broken pairing would give other numbers).
    expect(want[0]!.psnr).toBeGreaterThan(20);
    expect(want[1]!.psnr).toBeLessThan(want[0]!.psnr);
  });

  it('prints an aligned table with 2-decimal PSNR and 4-decimal SSIM, and honours --rgb and --crop-border', async () => {
    const run = await yonos('eval', '--hr', hr, '--sr', sr, '-s', '4', '--rgb', '--crop-border', '0');
    expect(run.code).toBe(0);
    const a = direct('a.png', { cropBorder: 0 });
    const b = direct('b.png', { cropBorder: 0 });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('PSNR/SSIM as BasicSR computes them: RGB channels, crop border 0.');
    expect(lines[1]).toMatch(/^image\s+PSNR \(dB\)\s+SSIM$/);
    expect(lines[2]).toMatch(new RegExp(`^a\\.png\\s+${a.psnr.toFixed(2)}\\s+${a.ssim.toFixed(4)}$`));
    expect(lines[3]).toMatch(new RegExp(`^b\\.png\\s+${b.psnr.toFixed(2)}\\s+${b.ssim.toFixed(4)}$`));
    expect(lines[4]).toMatch(new RegExp(`^mean of 2\\s+${((a.psnr + b.psnr) / 2).toFixed(2)}\\s+${((a.ssim + b.ssim) / 2).toFixed(4)}$`));
    expect(new Set(lines.slice(1).map((l) => l.length)).size).toBe(1);
  });

  it('reports a missing, an ambiguous and a wrongly sized SR image, scores the rest, exits with 1', async () => {
    const hr2 = join(root, 'hr2');
    const sr2 = join(root, 'sr2');
    await mkdir(hr2);
    await mkdir(sr2);
    for (const name of ['a.png', 'b.png', 'c.png', 'd.png']) await writeImage(join(hr2, name), images['a.png']!.hr);
    await writeImage(join(sr2, 'a.png'), images['a.png']!.sr);
    await writeImage(join(sr2, 'c.png'), images['a.png']!.sr);
    await writeImage(join(sr2, 'c_x2.webp'), images['a.png']!.sr, { lossless: true });
    await writeImage(join(sr2, 'd_x2.png'), testImage(40, 32, 1));
    await writeFile(join(hr2, 'notes.txt'), 'ignored');
    const run = await yonos('eval', '--hr', hr2, '--sr', sr2, '--scale', '2', '--json');
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^warning: skipped 'b\.png': no SR image named b\.<ext> or b_x2\.<ext> in '.*sr2': upscale it, or remove the HR image$/),
      expect.stringMatching(/^warning: skipped 'c\.png': several SR images match \(c\.png, c_x2\.webp\): keep only one in/),
      expect.stringMatching(/^warning: skipped 'd\.png': the SR image 'd_x2\.png' is 40x32 but the HR image is 40x36: compare images of the same size/),
      expect.stringMatching(/^error: 3 of 4 images could not be scored \(b\.png, c\.png, d\.png; reasons above\); the mean covers the other 1\.$/),
    ]);
    const report = JSON.parse(run.stdout) as { images: { name: string; psnr: number }[]; failed: { name: string }[] };
    expect(report.images.map((i) => [i.name, i.psnr])).toEqual([['a.png', direct('a.png', { cropBorder: 2, testYChannel: true }).psnr]]);
    expect(report.failed.map((f) => f.name)).toEqual(['b.png', 'c.png', 'd.png']);
  });

  it('prints an infinite PSNR for identical images, and fails when nothing can be scored', async () => {
    const same = await yonos('eval', '--hr', hr, '--sr', hr, '--scale', '4');
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^a\.png\s+inf\s+1\.0000$/m);
    const json = await yonos('eval', '--hr', hr, '--sr', hr, '--scale', '4', '--json');
    expect((JSON.parse(json.stdout) as { mean: { psnr: unknown } }).mean.psnr).toBe('Infinity');
    await mkdir(join(root, 'empty'));
    const none = await yonos('eval', '--hr', hr, '--sr', join(root, 'empty'), '--scale', '3');
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n').at(-1)).toBe('error: No image could be scored (all 2 failed; reasons above): check that --sr holds the SR images of --hr.');
    const missing = await yonos('eval', '--hr', join(root, 'nope'), '--sr', sr, '--scale', '4');
    expect(missing.stderr).toMatch(/^error: Cannot read the input folder '.*nope'/);
    const usage = await yonos('eval', '--hr', hr, '--sr', sr);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '-s, --scale <n>' not specified");
    expect((await yonos('eval', '--hr', hr, '--sr', sr, '--scale', 'x4')).stderr).toMatch(/^error: --scale must be a number \(got "x4"\)\./);
  });

  it('reads images as BasicSR does: gray replicated, alpha dropped, 16 bits reduced', async () => {
    const rgba: RawImage = { data: Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 255]), width: 2, height: 1, channels: 4, bitDepth: 8 };
    expect(Array.from(metricImage(rgba).data)).toEqual([10, 20, 30, 40, 50, 60]);
    const gray16: RawImage = { data: Uint16Array.from([257 * 7, 65535, 128, 1000]), width: 2, height: 1, channels: 2, bitDepth: 16 };
    expect(Array.from(metricImage(gray16).data)).toEqual([7, 7, 7, 0, 0, 0]);
    // And a file round trip: the written gray PNG decodes to what the test scored.
    const decoded = await readImage(join(hr, 'b.png'));
    expect(Array.from(metricImage(decoded).data)).toEqual(Array.from(host(images['b.png']!.hr).data));
  });

  it('prints help', async () => {
    const help = await yonos('eval', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: yonos eval [options]');
    for (const option of ['--hr', '--sr', '--scale', '--crop-border', '--rgb', '--json']) expect(help.stdout).toContain(option);
    expect((await yonos('help', 'eval')).stdout).toBe(help.stdout);
  });
});
