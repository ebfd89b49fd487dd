import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { bicubicWeights } from '@yonos/core/internal';
import type { RawImage } from '@yonos/core';
import { DataScriptError } from '../lib/errors.js';
import { cropRgb8, resizeU8, toRgb8 } from '../lib/u8-resize.js';

/** MATLAB imresize applied on the host in float64 from core's weight matrices: out = Wh · X · Wwᵀ per channel. */
function hostResize(img: RawImage, outH: number, outW: number, scale: number): Float64Array {
  const wh = bicubicWeights(img.height, outH, scale, true);
  const ww = bicubicWeights(img.width, outW, scale, true);
  const out = new Float64Array(outH * outW * 3);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < img.height; k++) {
          const a = wh[i * img.height + k]!;
          if (a === 0) continue;
          for (let l = 0; l < img.width; l++) s += a * ww[j * img.width + l]! * img.data[(k * img.width + l) * 3 + c]!;
        }
        out[(i * outW + j) * 3 + c] = s;
      }
    }
  }
  return out;
}

function randomImage(width: number, height: number, seed: number): RawImage {
  const rng = createRng(seed);
  return { data: Uint8Array.from({ length: width * height * 3 }, () => rng.nextInt(0, 255)), width, height, channels: 3, bitDepth: 8 };
}

describe('resizeU8', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  for (const [scale, size] of [[1 / 4, 32], [1 / 8, 32], [4, 8]] as const) {
    it(`equals MATLAB's uint8 imresize (rounded, saturated) at scale ${scale}`, async () => {
      const img = randomImage(size, size, 11);
      const before = tf.memory().numTensors;
      const out = await resizeU8(img, scale);
      expect(tf.memory().numTensors).toBe(before);
      const n = Math.ceil(size * scale);
      expect([out.width, out.height, out.channels, out.bitDepth]).toEqual([n, n, 3, 8]);
      const ref = hostResize(img, n, n, scale);
      let mismatches = 0;
      for (let i = 0; i < ref.length; i++) {
        const expected = Math.min(255, Math.max(0, Math.round(ref[i]!)));
        if (out.data[i] !== expected) {
          mismatches++;
          // float32 vs float64 may only disagree on a value within rounding noise of a .5 boundary.
          expect(Math.abs(Math.abs(ref[i]! - Math.floor(ref[i]!)) - 0.5)).toBeLessThan(1e-3);
        }
      }
      expect(mismatches).toBeLessThanOrEqual(2);
      // Enlarging random noise overshoots: saturation must have happened somewhere.
      if (scale > 1) expect(ref.some((v) => v < 0 || v > 255)).toBe(true);
    });
  }

  it('rejects non-RGB input with a typed error', async () => {
    await expect(resizeU8({ data: new Uint8Array(16), width: 4, height: 4, channels: 1, bitDepth: 8 }, 0.5)).rejects.toThrow(DataScriptError);
  });
});

describe('toRgb8 / cropRgb8', () => {
  it('replicates gray and drops alpha', () => {
    const gray = toRgb8({ data: Uint8Array.from([10, 255, 20, 128]), width: 2, height: 1, channels: 2, bitDepth: 8 });
    expect(Array.from(gray.data)).toEqual([10, 10, 10, 20, 20, 20]);
  });

  it('crops the window and refuses one that does not fit', () => {
    const img = randomImage(6, 4, 3);
    const crop = cropRgb8(img, 1, 2, { width: 3, height: 2 });
    expect(Array.from(crop.data.subarray(0, 3))).toEqual(Array.from(img.data.subarray((2 * 6 + 1) * 3, (2 * 6 + 1) * 3 + 3)));
    expect(Array.from(crop.data.subarray(15, 18))).toEqual(Array.from(img.data.subarray((3 * 6 + 3) * 3, (3 * 6 + 3) * 3 + 3)));
    expect(() => cropRgb8(img, 4, 0, { width: 3, height: 2 })).toThrow(DataScriptError);
  });
});
