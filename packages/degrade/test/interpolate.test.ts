import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DegradeError, interpolate } from '../src/index.js';
import type { TorchResizeMode } from '../src/index.js';
import { maxAbsDiff } from './helpers/fixtures.js';

/**
 * A direct per-pixel port of PyTorch's CPU upsample kernels (align_corners=False), written
 * as loops with clamped reads, independent of the weight-matrix construction under test.
 */
function torchReference(src: Float32Array, h: number, w: number, outH: number, outW: number, mode: TorchResizeMode, factor?: number): Float64Array {
  const at = (y: number, x: number): number => src[Math.min(Math.max(y, 0), h - 1) * w + Math.min(Math.max(x, 0), w - 1)]!;
  const sh = factor !== undefined ? 1 / factor : h / outH;
  const sw = factor !== undefined ? 1 / factor : w / outW;
  const out = new Float64Array(outH * outW);
  const A = -0.75;
  const cc1 = (x: number): number => ((A + 2) * x - (A + 3)) * x * x + 1;
  const cc2 = (x: number): number => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const coeffs = (t: number): number[] => [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      let v = 0;
      if (mode === 'area') {
        const y0 = Math.floor((oy * h) / outH);
        const y1 = Math.ceil(((oy + 1) * h) / outH);
        const x0 = Math.floor((ox * w) / outW);
        const x1 = Math.ceil(((ox + 1) * w) / outW);
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) v += at(y, x);
        v /= (y1 - y0) * (x1 - x0);
      } else if (mode === 'bilinear') {
        const ry = Math.max(0, sh * (oy + 0.5) - 0.5);
        const rx = Math.max(0, sw * (ox + 0.5) - 0.5);
        const y0 = Math.floor(ry);
        const x0 = Math.floor(rx);
        const ly = ry - y0;
        const lx = rx - x0;
        const y1 = y0 < h - 1 ? y0 + 1 : y0;
        const x1 = x0 < w - 1 ? x0 + 1 : x0;
        v = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
      } else {
        const ry = sh * (oy + 0.5) - 0.5;
        const rx = sw * (ox + 0.5) - 0.5;
        const iy = Math.floor(ry);
        const ix = Math.floor(rx);
        const cy = coeffs(ry - iy);
        const cx = coeffs(rx - ix);
        for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) v += cy[a]! * cx[b]! * at(iy - 1 + a, ix - 1 + b);
      }
      out[oy * outW + ox] = v;
    }
  }
  return out;
}

describe('interpolate (PyTorch F.interpolate, align_corners=False)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('reproduces the 2x2 -> 4x4 examples of PyTorch (bilinear from its nn.Upsample docs, bicubic by hand)', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const bilinear = interpolate(x, 2, { mode: 'bilinear' });
    expect(Array.from(bilinear.dataSync())).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
    const bicubic = interpolate(x, 2, { mode: 'bicubic' });
    const row0 = Array.from(bicubic.dataSync().subarray(0, 4));
    expect(maxAbsDiff(row0, [0.68359375, 1.015625, 1.5625, 1.89453125])).toBeLessThan(1e-6);
    tf.dispose([x, bilinear, bicubic]);
  });

  const cases: Array<[TorchResizeMode, number, number, number, number | undefined]> = [
    ['area', 23, 17, 9, undefined],
    ['area', 16, 16, 8, 0.5],
    ['bilinear', 20, 14, 33, undefined],
    ['bilinear', 20, 14, 7, undefined],
    ['bilinear', 21, 19, 0, 0.37],
    ['bicubic', 20, 14, 31, undefined],
    ['bicubic', 20, 14, 6, undefined],
    ['bicubic', 21, 19, 0, 1.43],
  ];
  for (const [mode, h, w, outSize, factor] of cases) {
    const label = factor !== undefined ? `factor ${factor}` : `size ${outSize}`;
    it(`${mode} ${h}x${w}, ${label}: equals a direct port of PyTorch's kernel`, () => {
      const img = tf.randomUniform([1, h, w, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const out = factor !== undefined ? interpolate(img, factor, { mode }) : interpolate(img, { height: outSize, width: outSize + 3 }, { mode });
      expect(tf.memory().numTensors).toBe(before + 1);
      const [, oh, ow] = out.shape;
      if (factor !== undefined) {
        expect([oh, ow]).toEqual([Math.floor(h * factor), Math.floor(w * factor)]);
      }
      const ref = torchReference(img.dataSync() as Float32Array, h, w, oh, ow, mode, factor);
      expect(maxAbsDiff(out.dataSync(), ref)).toBeLessThan(1e-5);
      tf.dispose([img, out]);
    });
  }

  it('area at an integer factor is average pooling; channels and batch are independent', () => {
    const img = tf.randomUniform([2, 12, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const out = interpolate(img, 0.25, { mode: 'area' });
    const pooled = tf.avgPool(img, 4, 4, 'valid');
    expect(maxAbsDiff(out.dataSync(), pooled.dataSync())).toBeLessThan(1e-6);
    tf.dispose([img, out, pooled]);
  });

  it('rejects empty outputs', () => {
    const img = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    expect(() => interpolate(img, 0.2, { mode: 'bilinear' })).toThrow(DegradeError);
    img.dispose();
  });
});
