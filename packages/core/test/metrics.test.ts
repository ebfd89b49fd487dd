import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { MetricError, psnr, psnrHost, ssim, ssimHost } from '../src/metrics/index.js';
import type { MetricHostImage } from '../src/metrics/index.js';
import { SafetensorsReader } from '../src/safetensors/index.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/basicsr/', import.meta.url));

interface MetricCase {
  sr: string;
  crop_border: number;
  test_y_channel: boolean;
  psnr: number;
  ssim: number;
}

/** The F32 tensors of a fixture file as host data, through the package's own reader. */
async function loadF32(file: string): Promise<Map<string, { shape: readonly number[]; data: Float32Array }>> {
  const reader = SafetensorsReader.fromBytes(readFileSync(file));
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const name of reader.keys()) {
    const { dtype, shape } = reader.info(name);
    if (dtype === 'F32') out.set(name, { shape, data: (await reader.readRaw(name)) as Float32Array });
  }
  return out;
}

const tensors = await loadF32(`${FIXTURES}degrade.safetensors`);
const cases = (JSON.parse(readFileSync(`${FIXTURES}degrade.json`, 'utf8')) as { metrics: MetricCase[] }).metrics;

function host(name: string, transform: (v: number) => number = (v) => v): MetricHostImage {
  const t = tensors.get(name)!;
  const [height, width, channels] = t.shape as [number, number, number];
  return { data: Array.from(t.data, transform), height, width, channels };
}

// The fixture's metric_sr_i tensors already hold [0, 255] values; hr = round(image * 255).
const hr = host('image', (v) => Math.round(v * 255));
const TOL = 1e-6;

describe('psnr / ssim against BasicSR calculate_psnr / calculate_ssim', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('has all 12 fixture cases', () => {
    expect(cases.length).toBe(12);
    expect(new Set(cases.map((c) => `${c.sr}/${c.crop_border}/${c.test_y_channel}`)).size).toBe(12);
  });

  it.each(cases)('$sr crop $crop_border y $test_y_channel (host arrays)', (c) => {
    const options = { cropBorder: c.crop_border, testYChannel: c.test_y_channel };
    const sr = host(c.sr);
    expect(Math.abs(psnrHost(sr, hr, options) - c.psnr)).toBeLessThan(TOL);
    expect(Math.abs(ssimHost(sr, hr, options) - c.ssim)).toBeLessThan(TOL);
  });

  it.each(cases)('$sr crop $crop_border y $test_y_channel (HWC and NHWC tensors, no leaks)', async (c) => {
    const options = { cropBorder: c.crop_border, testYChannel: c.test_y_channel };
    const sr = tensors.get(c.sr)!;
    const srT = tf.tensor3d(sr.data, sr.shape as [number, number, number]);
    const hrT = tf.tensor4d(Float32Array.from(hr.data), [1, 48, 48, 3]);
    const before = tf.memory().numTensors;
    expect(Math.abs((await psnr(srT, hrT, options)) - c.psnr)).toBeLessThan(TOL);
    expect(Math.abs((await ssim(srT, hrT, options)) - c.ssim)).toBeLessThan(TOL);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([srT, hrT]);
  });

  it('treats the Y channel as BT.601 of RGB, and of BGR on request', () => {
    const sr = host('metric_sr_1');
    const c = cases.find((k) => k.sr === 'metric_sr_1' && k.test_y_channel && k.crop_border === 0)!;
    const swap = (img: MetricHostImage): MetricHostImage => {
      const d = Array.from(img.data);
      for (let p = 0; p < d.length; p += 3) [d[p], d[p + 2]] = [d[p + 2]!, d[p]!];
      return { ...img, data: d };
    };
    const options = { testYChannel: true, channelOrder: 'bgr' as const };
    expect(Math.abs(psnrHost(swap(sr), swap(hr), options) - c.psnr)).toBeLessThan(TOL);
    // Reading RGB data as BGR gives a different luma, so a wrong order is detectable.
    expect(Math.abs(psnrHost(sr, hr, options) - c.psnr)).toBeGreaterThan(1e-3);
  });
});

describe('psnr / ssim properties', () => {
  const noise = (seed: number, n: number): number[] => {
    // Small LCG: deterministic test data independent of the RNG under test elsewhere.
    let s = seed;
    return Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s % 256;
    });
  };

  it('psnr of a constant offset is 10 log10(255^2 / d^2); identical images give Infinity and SSIM 1', () => {
    const a = { data: noise(1, 16 * 16 * 3).map((v) => Math.min(v, 200)), height: 16, width: 16, channels: 3 };
    const b = { ...a, data: a.data.map((v) => v + 3) };
    expect(Math.abs(psnrHost(a, b) - 10 * Math.log10((255 * 255) / 9))).toBeLessThan(1e-12);
    expect(psnrHost(a, a)).toBe(Number.POSITIVE_INFINITY);
    expect(Math.abs(ssimHost(a, a) - 1)).toBeLessThan(1e-12);
    expect(ssimHost(a, a, { testYChannel: true })).toBeCloseTo(1, 12);
  });

  it('ssim of a gray image equals its value on a 2-D tensor and matches a direct 2-D window sum', async () => {
    const h = 14;
    const w = 13;
    const a = noise(2, h * w);
    const b = noise(3, h * w);
    const direct = (() => {
      const taps = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
      const sum = taps.reduce((s, t) => s + t, 0);
      const k = taps.map((t) => t / sum);
      const filt = (f: (i: number) => number, y: number, x: number): number => {
        let s = 0;
        for (let u = 0; u < 11; u++) for (let v = 0; v < 11; v++) s += k[u]! * k[v]! * f((y + u) * w + x + v);
        return s;
      };
      let total = 0;
      for (let y = 0; y < h - 10; y++) {
        for (let x = 0; x < w - 10; x++) {
          const m1 = filt((i) => a[i]!, y, x);
          const m2 = filt((i) => b[i]!, y, x);
          const s1 = filt((i) => a[i]! ** 2, y, x) - m1 * m1;
          const s2 = filt((i) => b[i]! ** 2, y, x) - m2 * m2;
          const s12 = filt((i) => a[i]! * b[i]!, y, x) - m1 * m2;
          const c1 = (0.01 * 255) ** 2;
          const c2 = (0.03 * 255) ** 2;
          total += ((2 * m1 * m2 + c1) * (2 * s12 + c2)) / ((m1 * m1 + m2 * m2 + c1) * (s1 + s2 + c2));
        }
      }
      return total / ((h - 10) * (w - 10));
    })();
    const got = ssimHost({ data: a, height: h, width: w, channels: 1 }, { data: b, height: h, width: w, channels: 1 });
    expect(Math.abs(got - direct)).toBeLessThan(1e-12);
    const ta = tf.tensor2d(a, [h, w]);
    const tb = tf.tensor2d(b, [h, w]);
    expect(Math.abs((await ssim(ta, tb)) - direct)).toBeLessThan(1e-12);
    tf.dispose([ta, tb]);
  });

  it('rejects incomparable inputs with MetricError', async () => {
    const a = { data: noise(4, 12 * 12 * 3), height: 12, width: 12, channels: 3 };
    const b = { data: noise(5, 12 * 11 * 3), height: 12, width: 11, channels: 3 };
    expect(() => psnrHost(a, b)).toThrow(MetricError);
    expect(() => ssimHost(a, a, { cropBorder: 1 })).toThrow(/at least 11x11/);
    expect(() => psnrHost(a, a, { cropBorder: 6 })).toThrow(MetricError);
    expect(() => psnrHost({ ...a, data: a.data.slice(1) }, a)).toThrow(MetricError);
    const batch = tf.zeros([2, 12, 12, 3]);
    await expect(psnr(batch, batch)).rejects.toThrow(MetricError);
    batch.dispose();
  });
});
