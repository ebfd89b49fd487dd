import { describe, expect, it } from 'vitest';
import { createRng } from '@yonos/core';
import type { RawImage } from '@yonos/core';
import { scorePair } from '../lib/score.js';

function grayNoise(width: number, height: number, seed: number, lo: number, hi: number): RawImage {
  const rng = createRng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.fill(rng.nextInt(lo, hi), 3 * p, 3 * p + 3);
  return { data, width, height, channels: 3, bitDepth: 8 };
}

describe('scorePair', () => {
  it('gives infinite PSNR and SSIM 1 for identical images', () => {
    const hr = grayNoise(32, 32, 1, 0, 255);
    const s = scorePair(hr, hr, 4);
    expect(s.psnr).toBe(Infinity);
    expect(s.ssim).toBeCloseTo(1, 12);
  });

  it('measures PSNR on BT.601 Y: a gray offset d moves Y by d * 219 / 255', () => {
    const hr = grayNoise(32, 32, 2, 20, 200);
    const d = 6;
    const sr = { ...hr, data: hr.data.map((v) => v + d) };
    const yDiff = (d * (65.481 + 128.553 + 24.966)) / 255;
    // BasicSR (and core) round Y through float32, so agreement is to float32 precision (~1e-7 relative).
    expect(scorePair(sr, hr, 4).psnr).toBeCloseTo(10 * Math.log10((255 * 255) / (yDiff * yDiff)), 5);
  });

  it('ignores the scale-wide border', () => {
    const hr = grayNoise(32, 32, 3, 0, 255);
    const sr = { ...hr, data: Uint8Array.from(hr.data) };
    for (let x = 0; x < 32; x++) sr.data.fill(0, x * 3, x * 3 + 3); // spoil the top row only
    expect(scorePair(sr, hr, 1).psnr).toBe(Infinity);
    expect(scorePair(sr, hr, 0).psnr).toBeLessThan(40);
  });
});
